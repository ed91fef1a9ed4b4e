import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from '../../../src/store/sql';
import { A07, consent, systemContext } from './fixture';
import { shape, useSweepServer, type Answer } from './sweep-4';

// Issue 11's outside check, tenth sweep, family "what a write names", over HTTP on the production composition.
// Rule (src/access/README.md "Hidden means absent everywhere"; sweep 8 "a mask names the document by its id exactly"):
// a document hidden from a caller changes nothing he is answered, his own writes included. A Consent masking one
// document is governed by it (store/derived-columns.ts): hidden from whoever the document is hidden from. The document
// named was looked up by id in any record, so another patient (p2) who masked, in his own record, an id of p1's record
// saw his own Consent, and the trail event of its creation, vanish when that document exists and is flagged
// INVISIBLE_PATIENT (d4), and stay when the id is free: an oracle on other records' documents and their flags, by ids.
// A Consent is now governed only by documents of its own record; another record's document answers as a missing one.
// Fixture: p2 open, holds e1; p1 holds d1 (plain) and d4 (INVISIBLE_PATIENT).

const { call, run } = useSweepServer('dmp-sweep10-consent-');
const mask = (...ids: string[]) => ({
  ...consent('x', 'p2', { type: 'deny', data: ids.map((id) => ({ meaning: 'instance' as const, reference: { reference: `DocumentReference/${id}` } })) }),
  id: undefined,
});

/** What p2 is shown of a mask he files naming these ids: the write, the Consent read back, his searches, his trail. */
async function whatP2Sees(ids: string[]): Promise<string[]> {
  const created = await call('p2', 'POST', '/Consent', mask(...ids));
  const id = created.body?.id as string;
  const scrub = (answer: Answer) => shape(answer, id).map((line) => ids.reduce((text, doc, i) => text.split(doc).join(`<doc${i}>`), line));
  const read = await call('p2', 'GET', `/Consent/${id}`);
  const search = await call('p2', 'GET', `/Consent?_id=${id}&_summary=count`);
  const trail = await call('p2', 'GET', '/AuditEvent?patient=Patient/p2&_count=1000');
  return [...scrub(created), ...scrub(read), String(search.body.total), String(trail.text.includes(id))];
}

describe('a mask naming another record\'s document answers as one naming a missing document', () => {
  it('the comparison can fail: a mask of p2\'s own document is read back, and found', async () => {
    const seen = await whatP2Sees(['e1']);
    expect(seen[0]).toBe('201');
    expect(seen.slice(-2)).toEqual(['1', 'true']);
  });

  it('one document: p1\'s INVISIBLE_PATIENT document, p1\'s plain document and a free id answer alike', async () => {
    const free = await whatP2Sees(['zz-free-1']);
    expect(free.slice(-2)).toEqual(['1', 'true']);
    expect(await whatP2Sees(['d4'])).toEqual(await whatP2Sees(['zz-free-2']));
    expect(await whatP2Sees(['d1'])).toEqual(await whatP2Sees(['zz-free-3']));
  });

  it('several documents: naming d4 beside p2\'s own e1 answers as a free id beside it', async () => {
    expect(await whatP2Sees(['e1', 'd4'])).toEqual(await whatP2Sees(['e1', 'zz-free-4']));
  });

  it('a flag set later on the other record\'s document changes nothing either', async () => {
    const id = (await call('p2', 'POST', '/Consent', mask('e1', 'd1'))).body.id as string;
    const single = (await call('p2', 'POST', '/Consent', mask('d1'))).body.id as string;
    // The server flags p1's d1 hidden from its patient (as its author would): p2's masks do not follow it.
    const { body: d1 } = await call('gp', 'GET', '/DocumentReference/d1');
    await run.server.service.repo.update(systemContext(), { ...d1, securityLabel: [...d1.securityLabel, { coding: [{ system: A07, code: 'INVISIBLE_PATIENT' }] }] });
    expect((await call('patient', 'GET', '/DocumentReference/d1')).status).toBe(404);
    expect((await call('p2', 'GET', `/Consent/${id}`)).status).toBe(200);
    expect((await call('p2', 'GET', `/Consent/${single}`)).status).toBe(200);
  });
});

describe('migration 221: masks stored before, governed by another record\'s document, answer as those naming a missing one', () => {
  const migration = readFileSync(path.join(__dirname, '../../../src/store/migrations/221_consents_governed_in_their_record.sql'), 'utf8');

  it('one document (its doc_id) and several (their joined labels), as the earlier code stored them', async () => {
    const one = (await call('p2', 'POST', '/Consent', mask('d4'))).body.id as string;
    const several = (await call('p2', 'POST', '/Consent', mask('e1', 'd4'))).body.id as string;
    const own = (await call('p2', 'POST', '/Consent', mask('e1'))).body.id as string;
    // As the earlier code derived them: governed by p1's d4 (INVISIBLE_PATIENT), wherever it was.
    await run.server.db.query(sql`UPDATE resource SET doc_id = 'd4' WHERE type = 'Consent' AND id = ${one}`);
    await run.server.db.query(sql`UPDATE resource SET security = ARRAY['INVISIBLE_PATIENT'] WHERE type = 'Consent' AND id = ${several}`);
    // The joined labels hide the Consent; the stale doc_id alone no longer does (the predicate's carriesCode reads only
    // documents of the row's own record), but the migration clears it all the same: one rule, written in the rows too.
    expect((await call('p2', 'GET', `/Consent/${several}`)).status).toBe(404);
    await run.server.db.query(migration);
    expect([(await call('p2', 'GET', `/Consent/${one}`)).status, (await call('p2', 'GET', `/Consent/${several}`)).status]).toEqual([200, 200]);
    const { rows: cleared } = await run.server.db.query<{ doc_id: string | null }>(sql`SELECT doc_id FROM resource WHERE type = 'Consent' AND id = ${one}`);
    expect(cleared[0].doc_id).toBeNull();
    // A mask of the record's own document stays governed by it (the comparison can fail).
    const { rows } = await run.server.db.query<{ doc_id: string | null }>(sql`SELECT doc_id FROM resource WHERE type = 'Consent' AND id = ${own}`);
    expect(rows[0].doc_id).toBe('e1');
  });
});
