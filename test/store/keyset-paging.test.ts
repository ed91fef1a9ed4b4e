import { FhirError } from '../../src/kernel/errors';
import { decodeCursor, encodeCursor, parsePageSize, type SortKey } from '../../src/store/keyset-paging';
import { raw } from '../../src/kernel/sql';

const KEYS: SortKey[] = [
  { expr: raw('r.last_updated'), descending: false, cast: 'timestamptz' },
  { expr: raw('r.id'), descending: false, cast: 'text' },
];
const SCOPE = { kind: 'search' as const, shape: 'Patient?_sort=_lastUpdated' };

function status(fn: () => unknown): number | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof FhirError ? err.status : -1;
  }
}

describe('keyset paging cursors', () => {
  it('decodes the cursors it encodes, in both directions', () => {
    const keys = ['2026-12-06 07:02:20.123+00', 'p1'];
    expect(decodeCursor(encodeCursor(SCOPE, keys), SCOPE, KEYS)).toEqual({ keys, backwards: false });
    expect(decodeCursor(encodeCursor(SCOPE, keys, true), SCOPE, KEYS)).toEqual({ keys, backwards: true });
    expect(decodeCursor(encodeCursor(SCOPE, ['-infinity', '']), SCOPE, KEYS).keys).toEqual(['-infinity', '']);
  });

  it('refuses with 400 a cursor of another query', () => {
    const cursor = encodeCursor(SCOPE, ['2026-12-06 07:02:20+00', 'p1']);
    expect(status(() => decodeCursor(cursor, { kind: 'search', shape: 'Observation?_sort=_lastUpdated' }, KEYS))).toBe(400);
    expect(status(() => decodeCursor(cursor, { kind: 'history', shape: SCOPE.shape }, KEYS))).toBe(400);
    expect(status(() => decodeCursor(cursor, SCOPE, KEYS.slice(0, 1)))).toBe(400);
  });

  it.each([
    ['an impossible date', ['2026-02-30 10:00:00+00', 'p1']],
    ['a word for a timestamp', ['tomorrow', 'p1']],
    ['a NUL in text', ['2026-12-06 07:02:20+00', 'p\u00001']],
    ['a number for text', ['2026-12-06 07:02:20+00', 7]],
    ['an overlong value', ['2026-12-06 07:02:20+00', 'x'.repeat(2000)]],
  ])('refuses with 400 a cursor carrying %s', (_, keys) => {
    expect(status(() => decodeCursor(encodeCursor(SCOPE, keys as string[]), SCOPE, KEYS))).toBe(400);
  });

  it('refuses with 400 what is not a cursor at all', () => {
    for (const token of ['', 'garbage!', 'bm90IGpzb24', Buffer.from('null').toString('base64url'), 'A'.repeat(5000)]) {
      expect(status(() => decodeCursor(token, SCOPE, KEYS))).toBe(400);
    }
  });

  it('checks numeric and integer keys before PostgreSQL casts them', () => {
    const keys: SortKey[] = [{ expr: raw('v'), descending: true, cast: 'numeric' }, { expr: raw('n'), descending: true, cast: 'integer' }];
    expect(decodeCursor(encodeCursor(SCOPE, ['-12.50', '3']), SCOPE, keys).keys).toEqual(['-12.50', '3']);
    expect(status(() => decodeCursor(encodeCursor(SCOPE, ['1e5', '3']), SCOPE, keys))).toBe(400);
    expect(status(() => decodeCursor(encodeCursor(SCOPE, ['1', '3.5']), SCOPE, keys))).toBe(400);
  });
});

describe('page size', () => {
  it('defaults, caps at the maximum and refuses what is not a non-negative integer', () => {
    expect(parsePageSize(undefined)).toBeGreaterThan(0);
    expect(parsePageSize('5000')).toBe(1000);
    expect(parsePageSize('0')).toBe(0);
    expect(parsePageSize('0', { min: 1 })).toBe(1);
    for (const bad of ['-1', 'ten', '1.5', '9'.repeat(20)]) expect(status(() => parsePageSize(bad))).toBe(400);
  });
});
