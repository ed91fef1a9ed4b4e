import { formatReport } from '../../../src/cli/purge-records';
import { parseArgs } from '../../../src/cli/record-job-cli';
import { buildClosureExtension, noticeCutoff, purgeCutoff, purgeDate, readClosureExtension, withoutClosureExtension } from '../../../src/records/record-closure';
import { buildRecordLifeNotice } from '../../../src/notify/record-life-messages';

test('the purge date is the 10th anniversary of the closure in calendar years', () => {
  expect(purgeDate(new Date('2026-01-15T09:30:00Z')).toISOString()).toBe('2036-01-15T09:30:00.000Z');
  expect(purgeCutoff(new Date('2036-01-15T09:30:00Z')).toISOString()).toBe('2026-01-15T09:30:00.000Z');
  expect(noticeCutoff(new Date('2035-10-15T09:30:00Z')).toISOString()).toBe('2026-01-15T09:30:00.000Z');
});

test('the closure extension reads back what it states and goes away whole on reactivation', () => {
  const at = new Date('2026-03-01T08:00:00Z');
  const patient = { resourceType: 'Patient' as const, extension: [{ url: 'urn:other', valueString: 'kept' }, buildClosureExtension(at, 'duplicate')] };
  expect(readClosureExtension(patient)).toEqual({ closedAt: at, reason: 'duplicate' });
  expect(withoutClosureExtension(patient).extension).toEqual([{ url: 'urn:other', valueString: 'kept' }]);
  expect(withoutClosureExtension({ resourceType: 'Patient', extension: [buildClosureExtension(at, 'other')] })).toEqual({ resourceType: 'Patient' });
});

test('record-life notices are French, in Paris time, and never say why the record was closed', () => {
  const closed = buildRecordLifeNotice('record-closed', { at: new Date('2026-07-01T10:00:00Z') }, 'https://example.org');
  expect(closed.body).toContain('fermé le 1 juillet 2026 à 12:00');
  const purge = buildRecordLifeNotice('purge-approaching', { at: new Date('2026-07-01T10:00:00Z'), purgeAt: new Date('2036-07-01T10:00:00Z') }, 'https://example.org');
  expect(purge.body).toContain('supprimé à partir du 1 juillet 2036');
});

test('the purge CLI takes --dry-run, --now and --json, and refuses anything else', () => {
  expect(parseArgs(['--dry-run', '--now', '2036-02-01T00:00:00Z', '--json'])).toEqual({ dryRun: true, json: true, now: new Date('2036-02-01T00:00:00Z') });
  expect(() => parseArgs(['--now', 'tomorrow'])).toThrow(/ISO instant/);
  expect(() => parseArgs(['--force'])).toThrow(/unknown argument "--force"/);
  const text = formatReport({ now: 'n', dryRun: true, cutoff: 'c', records: [{ patientId: 'p1', closedAt: 'x', counts: { resource: 3, idx_quantity: 0 } }], skipped: [], totals: { resource: 3 }, noticed: [], openingAttempts: 4, loginAttempts: 7, sourceHits: 2 });
  expect(text).toContain('DRY RUN');
  expect(text).toContain('Patient/p1 closed x: resource=3\n');
  expect(text).toContain("attempts at opening a child's record over a year old to remove: 4");
  expect(text).toContain('sign-in and activation failure counts past their window to remove: 7');
  expect(text).toContain('per-address sign-in counts whose window ended to remove: 2');
});
