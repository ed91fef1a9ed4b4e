import type { RequestContext } from '../src/fhir/context';
import { parseSearch } from '../src/fhir/search/parse';
import type { Db, QueryResult } from '../src/store/db';
import { executeSearch } from '../src/store/search-executor';
import { Sql, TRUE } from '../src/store/sql';
import { RequestState } from '../src/fhir/request-state';

/** A Db that records the statements it runs (to EXPLAIN exactly what the core sent). */
class RecordingDb implements Db {
  readonly statements: { text: string; values: unknown[] }[] = [];
  constructor(private readonly inner: Db) {}
  get kind(): 'pg' | 'pglite' {
    return this.inner.kind;
  }
  query<T>(statement: Sql | string, values?: unknown[]): Promise<QueryResult<T>> {
    this.statements.push(statement instanceof Sql ? statement.toQuery() : { text: statement, values: values ?? [] });
    return this.inner.query<T>(statement, values);
  }
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return fn(this);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** One explained statement: its SQL and the EXPLAIN ANALYZE plan. */
export interface ExplainedStatement {
  sql: string;
  plan: string;
}

async function explain(db: Db, text: string, values: unknown[]): Promise<ExplainedStatement> {
  const { rows } = await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${text}`, values);
  return { sql: text.replace(/\s+/g, ' ').trim(), plan: rows.map((r) => r['QUERY PLAN']).join('\n') };
}

/**
 * EXPLAIN ANALYZE of every statement the core's search executor runs for `DocumentReference?patient=…&_count=20`
 * (no access predicate, as in the `core` variant), and of the baseline's hand-written query.
 */
export async function explainSearch(db: Db, patient: string, baselineSql: string): Promise<{ core: ExplainedStatement[]; baseline: ExplainedStatement }> {
  const recorder = new RecordingDb(db);
  const ctx: RequestContext = { requestId: 'bench-explain', access: TRUE, state: new RequestState() };
  await executeSearch(recorder, ctx, parseSearch('DocumentReference', [['patient', patient], ['_count', '20']], true));
  const core: ExplainedStatement[] = [];
  for (const s of recorder.statements) core.push(await explain(db, s.text, s.values));
  return { core, baseline: await explain(db, baselineSql, [patient, 20]) };
}
