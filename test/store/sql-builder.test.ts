import { and, or, sql } from '../../src/store/sql';

describe('SQL builder placeholders', () => {
  it('numbers values in order and binds one array given several times once', () => {
    const keys = ['k1', 'k2'];
    const q = and([sql`a.x = ANY(${keys}::text[])`, or([sql`b.y && ${keys}::text[]`, sql`c.z = ${'v'}`]), sql`d.w = ANY(${['k1', 'k2']}::text[])`]).toQuery();
    expect(q.text).toBe('((a.x = ANY($1::text[])) AND (((b.y && $1::text[]) OR (c.z = $2))) AND (d.w = ANY($3::text[])))');
    expect(q.values).toEqual([keys, 'v', ['k1', 'k2']]);
  });

  it('keeps repeated scalars as separate parameters (each use may cast differently)', () => {
    const at = '2026-01-01T00:00:00Z';
    const q = sql`${at}::timestamptz < now() AND ${at}::text <> ''`.toQuery();
    expect(q.text).toBe(`$1::timestamptz < now() AND $2::text <> ''`);
    expect(q.values).toEqual([at, at]);
  });
});
