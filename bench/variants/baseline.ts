import express from 'express';
import pg from 'pg';
import type { BenchVariant } from './variant';

const READ = `SELECT text FROM resource WHERE type = 'Patient' AND id = $1 AND NOT deleted`;
// The same documents the core returns: a patient's DocumentReferences through the reference index, in the
// core's default order (_lastUpdated, then id). `patient` has no index rows of its own: it is answered by the `subject`
// rows of Patient targets (fhir/search/param-sources.ts), so the baseline reads those.
export const BASELINE_SEARCH_SQL = `SELECT r.id, r.text FROM idx_reference x JOIN resource r ON r.rid = x.rid
  WHERE x.type = 'DocumentReference' AND x.param = 'subject' AND x.target_type = 'Patient' AND x.target_id = $1 AND NOT r.deleted
  ORDER BY r.last_updated, r.id LIMIT $2`;

const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/** Bare Express 5 + `pg` (pool of 10): the two queries by hand, stored JSON text sent as-is. */
export const baselineVariant: BenchVariant = {
  name: 'baseline',
  description: 'bare Express 5 + pg (pool 10), queries by hand, stored JSON sent as-is',
  async build(databaseUrl) {
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 10 });
    const app = express();
    app.disable('x-powered-by');
    app.get('/fhir/Patient/:id', async (req, res) => {
      const { rows } = await pool.query<{ text: string }>(READ, [req.params.id]);
      if (!rows[0]) {
        res.status(404).end();
        return;
      }
      res.setHeader('Content-Type', FHIR_JSON);
      res.end(rows[0].text);
    });
    app.get('/fhir/DocumentReference', async (req, res) => {
      const patient = String(req.query.patient ?? '');
      const count = Math.min(1000, Number(req.query._count ?? 20) || 20);
      const { rows } = await pool.query<{ id: string; text: string }>(BASELINE_SEARCH_SQL, [patient, count]);
      const base = `http://${req.get('host')}/fhir`;
      const entries = rows.map((r) => `{"fullUrl":"${base}/DocumentReference/${r.id}","resource":${r.text},"search":{"mode":"match"}}`);
      res.setHeader('Content-Type', FHIR_JSON);
      res.end(`{"resourceType":"Bundle","type":"searchset","link":[{"relation":"self","url":"${base}${req.url.slice('/fhir'.length)}"}],"entry":[${entries.join(',')}]}`);
    });
    return { handler: app, close: () => pool.end() };
  },
};
