import type { Logger } from '../logger';
import { queueNotices } from '../notify/outbox';
import { buildRecordLifeNotice } from '../notify/record-life-messages';
import type { SystemRepository } from '../system/system-repository';
import { advisoryLockTry, deleteRecordRows, loadRecordsDueForPurge, loadRecordsNearingPurge, lockRecordDueForPurge, markPurgeNoticeSent, type PurgeCounts } from '../store/record-purge';
import { MINOR_OPENING_WINDOW_MS } from '../access/minor-opening-limits';
import { purgeOpeningAttemptsBefore } from '../store/minor-opening-attempts';
import { pruneLoginAttempts } from '../auth/login-attempts';
import { pruneAccountAttempts } from '../auth/account-attempts';
import { pruneSourceHits } from '../auth/source-hits';
import { noticeCutoff, purgeCutoff, purgeDate } from './record-closure';

export interface PurgeOptions {
  /** The instant the retention is measured at (the job's clock, or the CLI's `--now`). */
  now: Date;
  /** Count what would be removed and notified, change nothing. */
  dryRun?: boolean;
  /** Link put in the purge-approaching notice. */
  recordUrl: string;
  logger?: Logger;
}

/** What one run did (or, in a dry run, would do). */
export interface PurgeReport {
  now: string;
  dryRun: boolean;
  /** Records closed at or before this instant were due. */
  cutoff: string;
  records: { patientId: string; closedAt: string; counts: PurgeCounts }[];
  /** Records listed as due but left alone: purged meanwhile by another run, or reactivated. */
  skipped: string[];
  totals: PurgeCounts;
  /** Patients told their record will be purged within 3 months. */
  noticed: string[];
  /** Attempts at opening a child's record older than the caps' longest window (365 days), removed. */
  openingAttempts: number;
  /**
   * Sign-in and activation failure counts past their window (known and unknown identifiers or records alike: they
   * answer as no count), removed.
   */
  loginAttempts: number;
  /** Per-address sign-in throttle counts whose window ended (`auth/source-hits.ts`), removed. */
  sourceHits: number;
}

/** Thrown inside a dry run's transaction to roll it back with what it would have removed. */
class DryRunRollback extends Error {
  constructor(readonly counts: PurgeCounts) {
    super('dry run');
  }
}

/** Purges one record in its own transaction; undefined when another run holds it or it is no longer due. */
async function purgeOne(system: SystemRepository, patientId: string, cutoff: Date, dryRun: boolean): Promise<PurgeCounts | undefined> {
  try {
    return await system.transaction(async (tx) => {
      // Two runs at once (two servers, or the timer and the CLI): the second skips the record the first is purging.
      if (!(await advisoryLockTry(tx, `record-purge:${patientId}`))) return undefined;
      if (!(await lockRecordDueForPurge(tx, patientId, cutoff))) return undefined;
      const counts = await deleteRecordRows(tx, patientId);
      if (dryRun) throw new DryRunRollback(counts);
      return counts;
    });
  } catch (err) {
    if (err instanceof DryRunRollback) return err.counts;
    throw err;
  }
}

/** Queues the purge-approaching notice, once per closure, to the records within 3 months of their purge. */
async function noticeNearingPurge(system: SystemRepository, options: PurgeOptions): Promise<string[]> {
  const nearing = await loadRecordsNearingPurge(system, noticeCutoff(options.now), purgeCutoff(options.now));
  if (options.dryRun) return nearing.map((r) => r.patientId);
  const noticed: string[] = [];
  for (const record of nearing) {
    await system.transaction(async (tx) => {
      if (!(await markPurgeNoticeSent(tx, record.patientId, noticeCutoff(options.now), options.now))) return;
      const text = buildRecordLifeNotice('purge-approaching', { at: record.closedAt, purgeAt: purgeDate(record.closedAt) }, options.recordUrl);
      const key = `purge-approaching:${record.patientId}:${record.closedAt.toISOString()}`;
      await queueNotices(tx, [{ key, kind: 'purge-approaching', patientId: record.patientId, text, createdAt: options.now }]);
      noticed.push(record.patientId);
    });
  }
  return noticed;
}

/**
 * One run of the retention job: tells the patients whose closed record reaches the end of its 10-year retention
 * within 3 months, removes the attempts at opening a child's record that no longer count for the caps (over 365 days
 * old) and the sign-in and activation failure counts past their window (`auth/login-attempts.ts`, `auth/account-attempts.ts`, the per-address throttle's `auth/source-hits.ts`), then purges, one transaction per record, every record closed 10 years ago or more (everything
 * but its audit trail: `store/record-purge.ts`). Idempotent; safe to run twice at once. Logs and returns its report.
 */
export async function purgeRecords(system: SystemRepository, options: PurgeOptions): Promise<PurgeReport> {
  const dryRun = options.dryRun === true;
  const cutoff = purgeCutoff(options.now);
  const noticed = await noticeNearingPurge(system, options);
  const openingAttempts = await purgeOpeningAttemptsBefore(system, new Date(options.now.getTime() - MINOR_OPENING_WINDOW_MS), dryRun);
  const loginAttempts = (await pruneLoginAttempts(system, options.now, dryRun)) + (await pruneAccountAttempts(system, options.now, dryRun));
  const sourceHits = await pruneSourceHits(system, options.now, dryRun);
  const report: PurgeReport = { now: options.now.toISOString(), dryRun, cutoff: cutoff.toISOString(), records: [], skipped: [], totals: {}, noticed, openingAttempts, loginAttempts, sourceHits };
  for (const due of await loadRecordsDueForPurge(system, cutoff)) {
    const counts = await purgeOne(system, due.patientId, cutoff, dryRun);
    if (!counts) {
      report.skipped.push(due.patientId);
      continue;
    }
    report.records.push({ patientId: due.patientId, closedAt: due.closedAt.toISOString(), counts });
    for (const [table, n] of Object.entries(counts)) report.totals[table] = (report.totals[table] ?? 0) + n;
  }
  options.logger?.info(`record purge${dryRun ? ' (dry run)' : ''}: ${report.records.length} record(s) purged, ${noticed.length} purge notice(s), ${openingAttempts} old opening attempt(s), ${loginAttempts} sign-in or activation failure count(s) past their window, ${sourceHits} ended per-address window(s)`, {
    purge: { ...report },
  });
  return report;
}
