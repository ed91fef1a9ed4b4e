import type { Extension, Patient } from '@medplum/fhirtypes';

/** The Patient extension that shows a closed record's closure instant and reason (written only by `$close`). */
export const RECORD_CLOSURE_URL = 'https://dmp-fhir-adapter.org/fhir/StructureDefinition/record-closure';
/** The code system of closure reasons (the value set is all of it). */
export const CLOSURE_REASON_SYSTEM = 'https://dmp-fhir-adapter.org/fhir/CodeSystem/record-closure-reason';

/** Why a record was closed: the patient asked, the patient died, it duplicated another record, or another reason. */
export const CLOSURE_REASONS = {
  'patient-request': 'Fermeture à la demande du patient',
  deceased: 'Décès du patient',
  duplicate: 'Doublon d\u2019un autre dossier',
  other: 'Autre motif',
} as const;
export type ClosureReason = keyof typeof CLOSURE_REASONS;

/** DESIGN §1: after closure the data are kept for 10 years. */
export const RETENTION_YEARS = 10;
/** The purge-approaching notice is sent this many months before the purge date. */
export const PURGE_NOTICE_MONTHS = 3;

/** True when the code is one of the closure reasons. */
export function isClosureReason(code: unknown): code is ClosureReason {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(CLOSURE_REASONS, code);
}

/** The record-closure extension for a closure at `closedAt` for `reason`. */
export function buildClosureExtension(closedAt: Date, reason: ClosureReason): Extension {
  return {
    url: RECORD_CLOSURE_URL,
    extension: [
      { url: 'closedAt', valueDateTime: closedAt.toISOString() },
      { url: 'reason', valueCoding: { system: CLOSURE_REASON_SYSTEM, code: reason, display: CLOSURE_REASONS[reason] } },
    ],
  };
}

/** The closure facts a Patient's record-closure extension states, if it has one. */
export function readClosureExtension(patient: Patient | undefined): { closedAt?: Date; reason?: ClosureReason } | undefined {
  const ext = patient?.extension?.find((e) => e.url === RECORD_CLOSURE_URL);
  if (!ext) return undefined;
  const at = ext.extension?.find((e) => e.url === 'closedAt')?.valueDateTime;
  const code = ext.extension?.find((e) => e.url === 'reason')?.valueCoding?.code;
  const closedAt = at && !Number.isNaN(Date.parse(at)) ? new Date(at) : undefined;
  return { closedAt, reason: isClosureReason(code) ? code : undefined };
}

/** The Patient without its record-closure extension (reactivation removes it). */
export function withoutClosureExtension(patient: Patient): Patient {
  const extension = (patient.extension ?? []).filter((e) => e.url !== RECORD_CLOSURE_URL);
  const { extension: _dropped, ...rest } = patient;
  return extension.length ? { ...rest, extension } : rest;
}

/** `at` shifted by whole calendar years and months in UTC (negative to go back). */
export function shiftDate(at: Date, years: number, months = 0): Date {
  const d = new Date(at.getTime());
  d.setUTCFullYear(d.getUTCFullYear() + years, d.getUTCMonth() + months);
  return d;
}

/** The instant from which a record closed at `closedAt` may be purged (and no longer reactivated). */
export function purgeDate(closedAt: Date): Date {
  return shiftDate(closedAt, RETENTION_YEARS);
}

/** Records closed at or before this instant are due for purge at `now`. */
export function purgeCutoff(now: Date): Date {
  return shiftDate(now, -RETENTION_YEARS);
}

/** Records closed at or before this instant are within PURGE_NOTICE_MONTHS of their purge at `now`. */
export function noticeCutoff(now: Date): Date {
  return shiftDate(now, -RETENTION_YEARS, PURGE_NOTICE_MONTHS);
}
