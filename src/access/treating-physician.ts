import type { Consent } from '@medplum/fhirtypes';
import type { Statements } from '../store/db';
import { sql } from '../store/sql';
import { unprocessable } from '../fhir/errors';
import { parseConsent } from './consent-rules';
import { namesOnePerson } from './resolve-actor';
import { nationalSpellings } from './national-identifiers';
import { PROFESSIONAL_ID_SYSTEMS } from './actor';

/** A key and, for a national professional identifier (`system|value`), every spelling of that person (`nationalSpellings`). */
function withSpellings(key: string): string[] {
  return key.includes('|') && !key.startsWith('Practitioner/') ? [key, ...nationalSpellings(key)] : [key];
}

/**
 * Every key naming the same practitioners as `keys`: `Practitioner/<id>` references gain the identifiers of
 * those directory entries, and national identifiers gain the ids of the entries carrying them (entries naming one person);
 * a national identifier counts in every spelling (`professionalSpellings`), as for the token's keys: an author linked to
 * the entry an administrator kept as `IdNat_PS|<RPPS>` is the professional a Consent names as `IdNat_PS|8<RPPS>`.
 */
export async function expandPractitionerKeys(tx: Statements, keys: string[]): Promise<Set<string>> {
  const out = new Set(keys.flatMap(withSpellings));
  const ids = keys.filter((k) => k.startsWith('Practitioner/')).map((k) => k.slice('Practitioner/'.length));
  // Only national identifiers find entries: a local one vouches for nothing, and anyone may add an entry carrying his own
  // RPPS beside a hospital's local id of a physician, then be taken for the author of that hospital's documents.
  const national = [...out].filter((k) => PROFESSIONAL_ID_SYSTEMS.includes(k.slice(0, Math.max(0, k.indexOf('|')))));
  const identifiers = national.map((k) => JSON.stringify({ identifier: [{ system: k.split('|')[0], value: k.slice(k.indexOf('|') + 1) }] }));
  if (ids.length === 0 && identifiers.length === 0) return out;
  const { rows } = await tx.query<{ id: string; content: { identifier?: { system?: string; value?: string }[] } }>(
    sql`SELECT r.id, r.content FROM resource r WHERE r.type = 'Practitioner' AND NOT r.deleted
      AND (r.id = ANY(${ids}::text[]) OR r.content @> ANY(${identifiers}::jsonb[]))`,
  );
  for (const row of rows) {
    // An entry naming two people (someone added another's identifier) names nobody, as in resolve-actor.ts.
    if (!namesOnePerson(row.content?.identifier)) continue;
    out.add(`Practitioner/${row.id}`);
    for (const i of row.content?.identifier ?? []) if (i.system && i.value) for (const k of withSpellings(`${i.system}|${i.value}`)) out.add(k);
  }
  return out;
}

/** Actor keys a Consent permits (`permit`) or blocks (`deny`) when active. */
function actorKeys(consent: Consent | undefined, kind: 'permit' | 'deny'): string[] {
  if (!consent) return [];
  return parseConsent(consent).rules.flatMap((r) => (r.kind === kind ? [r.actorKey] : []));
}

/**
 * Issue 4 rule 4: the treating physician (`Patient.generalPractitioner`) keeps his access while he holds that
 * status. A Consent that blocks him, or withdraws (inactivates, deletes, rewrites) a permit naming him, is
 * refused with 422 explaining to change the treating physician instead.
 */
export async function assertTreatingPhysicianKept(tx: Statements, patientId: string, next: Consent | undefined, previous: Consent | undefined): Promise<void> {
  const { rows } = await tx.query<{ treating: string[] }>(sql`SELECT treating FROM access_record WHERE patient_id = ${patientId}`);
  const treating = rows[0]?.treating ?? [];
  if (treating.length === 0) return;
  const treatingKeys = await expandPractitionerKeys(tx, treating);
  const blocks = actorKeys(next, 'deny').some((k) => treatingKeys.has(k));
  const stillPermitted = new Set(actorKeys(next, 'permit'));
  const withdraws = actorKeys(previous, 'permit').some((k) => treatingKeys.has(k) && !stillPermitted.has(k));
  if (blocks || withdraws) {
    throw unprocessable([
      {
        severity: 'error',
        code: 'business-rule',
        diagnostics:
          'This professional is the patient\'s treating physician (Patient.generalPractitioner): his access cannot be withdrawn or blocked. ' +
          'Change the treating physician on the Patient first, then withdraw or block the access.',
        expression: ['Consent.provision'],
      },
    ]);
  }
}
