/**
 * Hands the records of patients who turned 18 over to them, as the server's job does (MAJORITY_HANDOVER_INTERVAL_MS):
 * tells the former guardians and the young adult, renews his credentials; prints what it did.
 *   npm run records:majority -- [--dry-run] [--now <ISO instant>] [--json]
 * Uses DATABASE_URL (PostgreSQL) or DATA_DIR (embedded PGlite: stop the server first) like the server, and its
 * AUDIT_CHAIN_SECRET: each hand-over is recorded in the young adult's audit trail.
 * Exit code: 0 done, 2 bad arguments or failure.
 */
import { SystemRepository } from '../system/system-repository';
import { loadNotifyConfig } from '../notify/notify-config';
import { createHandoverAudit } from '../records/handover-audit';
import { handOverAtMajority, type HandoverReport } from '../records/majority-handover';
import type { Db } from '../store/db';
import { runAsCommand } from './command';
import { runRecordJob } from './record-job-cli';

/** The report in lines an operator reads: one per record handed over. */
export function formatReport(report: HandoverReport): string {
  const lines = [`${report.dryRun ? 'DRY RUN (nothing changed): ' : ''}majority hand-over at ${report.now}`];
  for (const r of report.records) {
    const code = r.codeSent ? 'activation code sent' : 'no contact of his own: counter procedure';
    lines.push(`  Patient/${r.patientId} adult on ${r.majorityOn}: guardians told ${r.guardians.map((g) => `RelatedPerson/${g}`).join(', ')}; credentials revoked ${r.revoked}; ${code}`);
  }
  for (const id of report.skipped) lines.push(`  Patient/${id}: skipped (handed over by another run)`);
  lines.push(`${report.records.length} record(s) ${report.dryRun ? 'would be ' : ''}handed over`);
  return `${lines.join('\n')}\n`;
}

/** Runs the hand-over on `db` (or the configured database) and writes the report; returns the exit code. */
export function main(argv: string[], env: NodeJS.ProcessEnv = process.env, out: (text: string) => void = (t) => void process.stdout.write(t), db?: Db): Promise<number> {
  // AUDIT_CHAIN_SECRET as for the server: the events it writes join the patients' chains.
  const audit = createHandoverAudit({ secret: env.AUDIT_CHAIN_SECRET || undefined });
  return runRecordJob(argv, { env, out, db }, (database, args) => handOverAtMajority(new SystemRepository(database), { now: args.now ?? new Date(), dryRun: args.dryRun, recordUrl: loadNotifyConfig(env).recordUrl, audit }), formatReport);
}

if (require.main === module) runAsCommand('records:majority', main);
