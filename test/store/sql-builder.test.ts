import { and, or, sql, Sql } from '../../src/store/sql';

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

describe('composed statement texts kept for frozen fragments (kernel/sql.ts)', () => {
  const frozenFragment = (keys: string[], at: string) => {
    const fragment = or([sql`a.k = ANY(${keys}::text[])`, sql`b.k && ${keys}::text[] AND b.at <= ${at}`]);
    Object.freeze(fragment.strings);
    return fragment;
  };
  const read = (type: string, id: string, access: ReturnType<typeof frozenFragment>) => sql`SELECT text FROM resource r WHERE r.type = ${type} AND r.id = ${id} AND (${access})`;
  const expected = 'SELECT text FROM resource r WHERE r.type = $1 AND r.id = $2 AND (((a.k = ANY($3::text[])) OR (b.k && $3::text[] AND b.at <= $4)))';

  it('gives the same text, as the same string and shape, at each composition around the same fragment', () => {
    const keys = ['k1'];
    const fragment = frozenFragment(keys, 't0');
    const first = read('Patient', 'p1', fragment).toStatement();
    // Another request: new values bound in the same fragment strings (as the access predicate cache does).
    const again = read('DocumentReference', 'd2', new Sql(fragment.strings, [keys, keys, 't1'])).toStatement();
    expect(first.text).toBe(expected);
    expect(again.text).toBe(expected);
    expect(first.values).toEqual(['Patient', 'p1', keys, 't0']);
    expect(again.values).toEqual(['DocumentReference', 'd2', keys, 't1']);
    expect(again.shape).toBeDefined();
    expect(again.shape).toBe(first.shape);
  });

  it('numbers the placeholders anew when the arrays bound differ from the kept text', () => {
    const fragment = frozenFragment(['k1'], 't0');
    const Ctor = Sql;
    const shared = ['k'];
    const apart = read('Patient', 'p1', new Ctor(fragment.strings, [['k'], ['k'], 't1'])).toStatement();
    expect(apart.text).toBe('SELECT text FROM resource r WHERE r.type = $1 AND r.id = $2 AND (((a.k = ANY($3::text[])) OR (b.k && $4::text[] AND b.at <= $5)))');
    expect(apart.values).toHaveLength(5);
    const together = read('Patient', 'p1', new Ctor(fragment.strings, [shared, shared, 't1'])).toStatement();
    expect(together.text).toBe(expected);
    expect(together.values).toEqual(['Patient', 'p1', shared, 't1']);
  });

  it('composes fragments built at each call (not frozen) afresh, to the same text as before', () => {
    const keys = ['k1'];
    const fresh = or([sql`a.k = ANY(${keys}::text[])`, sql`b.k && ${keys}::text[] AND b.at <= ${'t0'}`]);
    const q = read('Patient', 'p1', fresh).toStatement();
    expect(q.text).toBe(expected);
    expect(q.shape).toBeUndefined();
    // The template's strings alone are frozen: kept, and distinct from the text around another fragment.
    const plain = sql`SELECT 1 WHERE x = ${1}`.toStatement();
    expect(plain.text).toBe('SELECT 1 WHERE x = $1');
    expect(plain.shape).toBeDefined();
  });

  it('keeps one text per fragment: another frozen fragment in the same template gives its own text', () => {
    const a = frozenFragment(['k1'], 't0');
    const b = sql`c.k = ${'v'}`;
    Object.freeze(b.strings);
    expect(read('Patient', 'p1', a).toStatement().text).toBe(expected);
    expect(read('Patient', 'p1', b).toStatement().text).toBe('SELECT text FROM resource r WHERE r.type = $1 AND r.id = $2 AND (c.k = $3)');
    expect(read('Patient', 'p1', a).toStatement().text).toBe(expected);
  });
});
