import type { Patient, RelatedPerson } from '@medplum/fhirtypes';
import { guardianLinkValid, majorityDate, parisDay, parisMidnight } from '../access/guardian-rules';
import { issueActivationCode } from '../auth/activation';
import { credentialRecipients } from '../auth/credential-contacts';
import type { Logger } from '../logger';
import type { HandoverAudit } from './handover-audit';
import { queueAccountNotice } from '../notify/account-notices';
import { displayName } from '../notify/guardian-recipients';
import { buildMajorityNoticeForGuardian, buildMajorityNoticeForPatient } from '../notify/majority-messages';
import { insertOutbox, type OutboxEntry } from '../notify/outbox';
import { resolveRecipients } from '../notify/recipients';
import type { Statements } from '../store/db';
import type { SystemRepository } from '../system/system-repository';
import { advisoryLockTry } from '../store/record-purge';
import { claimHandover, endGuardianTokens, loadGuardedRecords, loadHandedOver, recordHandover, revokeCredentialsSetBefore, type GuardedRecord } from '../store/majority-handover';

/**
 * Majorities older than this are not handed over by the job: links to adults made before the rule existed (README,
 * Guardians) already give nothing, and revoking credentials an adult has used for months would lock him out.
 */
export const HANDOVER_WINDOW_DAYS = 90;

export interface HandoverOptions {
  /** The instant majority is measured at (the job's clock, or the CLI's `--now`). */
  now: Date;
  /** Report what would be done, change nothing. */
  dryRun?: boolean;
  /** Link put in the young adult's notice. */
  recordUrl: string;
  /** Records each hand-over in the young adult's trail, in its transaction (required: the job acts unseen otherwise). */
  audit: HandoverAudit;
  logger?: Logger;
}

/** One record handed over (or, in a dry run, that would be). */
export interface HandedOver {
  patientId: string;
  majorityOn: string;
  /** Former guardians told (RelatedPerson ids). */
  guardians: string[];
  /** Sign-in credentials set before the majority, removed. */
  revoked: number;
  /** An activation code went to the record's own contact; false: the counter procedure. */
  codeSent: boolean;
}

export interface HandoverReport {
  now: string;
  dryRun: boolean;
  records: HandedOver[];
  /** Records another run was handing over at the same moment. */
  skipped: string[];
}

class DryRunRollback extends Error {
  constructor(readonly done: HandedOver) {
    super('dry run');
  }
}

const parse = <T>(text: string): T => JSON.parse(text) as T;

/** The record's hand-over if it is due at `now`: its majority day, the guardians whose rights it ended. */
function dueHandover(record: GuardedRecord, now: Date, handed: Set<string>): { majorityOn: string; former: { id: string; person: RelatedPerson }[] } | undefined {
  const patient = parse<Patient>(record.patient);
  const majorityOn = majorityDate(patient.birthDate);
  const today = parisDay(now);
  if (!majorityOn || today < majorityOn || handed.has(`${record.patientId}|${majorityOn}`)) return undefined;
  if (parisDay(new Date(now.getTime() - HANDOVER_WINDOW_DAYS * 86_400_000)) > majorityOn) return undefined;
  // Former guardians: links that gave rights on the eve of the majority and give none now (a court measure goes on).
  const eve = new Date(parisMidnight(majorityOn).getTime() - 1);
  const former = record.links
    .map((l) => ({ id: l.relatedPersonId, person: parse<RelatedPerson>(l.person) }))
    .filter((l) => guardianLinkValid(l.person, patient, eve) && !guardianLinkValid(l.person, patient, now));
  return former.length ? { majorityOn, former } : undefined;
}

/** Hands one record over in the caller's transaction; undefined when another run did or is doing it. */
async function handOver(tx: Statements, record: GuardedRecord, due: NonNullable<ReturnType<typeof dueHandover>>, options: HandoverOptions): Promise<HandedOver | undefined> {
  const { now } = options;
  if (!(await advisoryLockTry(tx, `majority-handover:${record.patientId}`))) return undefined;
  if (!(await claimHandover(tx, record.patientId, due.majorityOn, now))) return undefined;
  const patient = parse<Patient>(record.patient);
  // Credentials set while the patient was a minor may be a parent's: they end with the parent's rights.
  const revoked = await revokeCredentialsSetBefore(tx, record.patientId, parisMidnight(due.majorityOn));
  // The former guardians' access tokens end here too (the young adult's end with his revoked credentials: migration 235).
  await endGuardianTokens(tx, due.former.map((g) => g.id));
  const guardianContacts = due.former.map((g) => ({ id: g.id, to: resolveRecipients({ resourceType: 'Patient', telecom: g.person.telecom }, { now }) }));
  // Only a contact the young adult confirmed himself since his birthday, never a (former) guardian's: the code must reach
  // him, not his parent (`credentialRecipients`). Usually none yet: the counter procedure then.
  const own = await credentialRecipients(tx, record.patientId, patient, now);
  const codeSent = own.length > 0;
  if (codeSent) await issueActivationCode(tx, { patientId: record.patientId, now, renewed: true, issuedBy: 'server (majority hand-over)', send: (t, notice) => queueAccountNotice(t, { ...notice, to: own }) });

  const facts = { majorityOn: due.majorityOn, name: displayName(patient), codeSent, gender: patient.gender };
  const key = `guardian-access-ended:${record.patientId}:${due.majorityOn}`;
  const common = { kind: 'guardian-access-ended' as const, patientId: record.patientId, createdAt: now, status: 'pending' as const };
  const entries: OutboxEntry[] = [];
  const toPatient = buildMajorityNoticeForPatient(facts, options.recordUrl);
  for (const r of own) entries.push({ ...common, key: `${key}:${r.channel}`, channel: r.channel, recipient: r.address, text: toPatient });
  if (own.length === 0) entries.push({ ...common, key: `${key}:none`, channel: 'none', recipient: null, text: toPatient, status: 'no-recipient', note: 'no contact of the young adult\'s own: counter procedure' });
  const toGuardian = buildMajorityNoticeForGuardian(facts);
  for (const g of guardianContacts) for (const r of g.to) entries.push({ ...common, key: `${key}:guardian:${g.id}:${r.channel}`, channel: r.channel, recipient: r.address, text: toGuardian });
  await insertOutbox(tx, entries);

  const done: HandedOver = { patientId: record.patientId, majorityOn: due.majorityOn, guardians: due.former.map((g) => g.id), revoked, codeSent };
  await recordHandover(tx, record.patientId, due.majorityOn, done);
  // In the young adult's trail: the server ended his guardians' access and renewed his credentials (a dry run rolls it back).
  await options.audit(tx, done, now);
  if (options.dryRun) throw new DryRunRollback(done);
  return done;
}

/**
 * One run of the majority hand-over (issue 12): for every record whose holder turned 18 (Europe/Paris) within the
 * last 90 days and whose guardians' rights thereby ended, once per record and majority date, in one transaction per
 * record: tells each former guardian (`guardian-access-ended`, at his own contact) and the young adult, removes the
 * sign-in credentials set before the majority, and sends a new activation code to the record's own contact (not to a
 * former guardian's). The guardians' access itself ends by the access rules at the 18th birthday, job or no job.
 * Idempotent; safe to run twice at once.
 */
export async function handOverAtMajority(system: SystemRepository, options: HandoverOptions): Promise<HandoverReport> {
  const report: HandoverReport = { now: options.now.toISOString(), dryRun: options.dryRun === true, records: [], skipped: [] };
  const records = await loadGuardedRecords(system);
  const handed = await loadHandedOver(system, records.map((r) => r.patientId));
  for (const record of records) {
    const due = dueHandover(record, options.now, handed);
    if (!due) continue;
    let done: HandedOver | undefined;
    try {
      done = await system.transaction((tx) => handOver(tx, record, due, options));
    } catch (err) {
      if (!(err instanceof DryRunRollback)) throw err;
      done = err.done;
    }
    if (done) report.records.push(done);
    else report.skipped.push(record.patientId);
  }
  options.logger?.info(`majority hand-over${report.dryRun ? ' (dry run)' : ''}: ${report.records.length} record(s) handed over`, { handover: { ...report } });
  return report;
}
