import type { Statements } from '../store/db';
import { sql } from '../store/sql';
import type { Patient, RelatedPerson } from '@medplum/fhirtypes';
import { PROFESSIONAL_ID_SYSTEMS, professionalPerson, type DmpActor } from './actor';
import { guardianLinkValid } from './guardian-rules';
import { unauthorized } from '../fhir/errors';
import { fhirUserTarget } from '../auth/claims-to-actor';

export interface IdentifierValue {
  system?: string;
  value?: string;
}

/**
 * True when every national professional identifier a directory entry carries is one of the token's own keys. An
 * entry that also carries someone else's IdNat_PS/RPPS names two people, so it names nobody: otherwise adding
 * one's own RPPS to the treating physician's entry would hand over his patients (issue 11, attack 3).
 */
export function entryNamesOnly(identifiers: IdentifierValue[] | null | undefined, tokenKeys: readonly string[]): boolean {
  const national = (identifiers ?? []).filter((i) => i && typeof i.system === 'string' && PROFESSIONAL_ID_SYSTEMS.includes(i.system));
  return national.length > 0 && national.every((i) => tokenKeys.includes(`${i.system}|${i.value}`));
}

/** True when a directory entry's national professional identifiers all name one person (or it carries none). */
export function namesOnePerson(identifiers: IdentifierValue[] | null | undefined): boolean {
  const people = new Set((identifiers ?? []).filter((i) => i?.system && i.value && PROFESSIONAL_ID_SYSTEMS.includes(i.system)).map((i) => professionalPerson(i.system as string, i.value as string)));
  return people.size <= 1;
}

/**
 * Completes an actor from the database, once per request: a practitioner's keys gain `Practitioner/<id>` of
 * the directory entries carrying his identifiers and no other professional's (see `entryNamesOnly`; consents and
 * `generalPractitioner` may use either form);
 * a patient's compartments are his Patient id, or the Patients carrying his INS; a guardian's are the
 * patients his RelatedPerson is a guardian of at `now` (the request's instant): while the patient is a minor
 * (Europe/Paris) or a court measure is running (`guardianLinkValid`, issue 12).
 */
export async function resolveActor(db: Statements, actor: DmpActor, now: Date = new Date()): Promise<DmpActor> {
  if (actor.kind === 'practitioner') {
    const pairs = actor.keys.filter((k) => !k.startsWith('Practitioner/')).map((k) => {
      const bar = k.indexOf('|');
      return { system: k.slice(0, bar), value: k.slice(bar + 1) };
    });
    if (pairs.length === 0) return actor;
    const identifiers = pairs.map((p) => JSON.stringify({ identifier: [p] }));
    const values = [...new Set(pairs.map((p) => p.value))];
    // The entries are found through their `identifier` token rows (b-tree on the value), then checked on their
    // content as before: `content @> ANY(…)` alone let the planner walk every Practitioner row, filtering each
    // (1.2 ms with 1,000 entries, once per professional every few seconds: ~40 % of the database's CPU per
    // production read on the bench's 1M set), because it cannot estimate the GIN index's selectivity.
    // An entry without its index rows is found by neither a search nor this: it names nobody (fails closed).
    const { rows } = await db.query<{ id: string; identifiers: IdentifierValue[] | null }>(sql`SELECT r.id, r.content->'identifier' AS identifiers
      FROM resource r WHERE r.rid IN (SELECT t.rid FROM idx_token t WHERE t.type = 'Practitioner' AND t.param = 'identifier' AND t.code = ANY(${values}::text[]))
        AND r.type = 'Practitioner' AND NOT r.deleted AND r.content @> ANY(${identifiers}::jsonb[]) LIMIT 20`);
    const own = rows.filter((row) => entryNamesOnly(row.identifiers, actor.keys));
    // A `fhirUser` naming a directory entry must name one of his own: another's made the trail show that person as the
    // agent, and once gave his rights (issue 11, tokens with odd claims). Refused like a forged token.
    const claimed = actor.claims ? fhirUserTarget(actor.claims) : undefined;
    if (claimed && !own.some((row) => row.id === claimed.id)) throw unauthorized('The token\'s fhirUser names a directory entry that does not carry its professional identifiers');
    const keys = [...actor.keys, ...own.map((row) => `Practitioner/${row.id}`)];
    return { ...actor, keys: keys.filter((k, i) => keys.indexOf(k) === i) };
  }
  if (actor.kind === 'patient') {
    const ids = new Set(actor.patientIds);
    if (actor.ins) {
      const { rows } = await db.query<{ patient_id: string }>(sql`SELECT patient_id FROM access_record WHERE ins && ${[actor.ins]}::text[]`);
      // A token naming a record (`patient`) and an INS must name one person: an INS carried by another record would
      // hand that record over too (issue 11, tokens with odd claims). Refused like a forged token.
      if (actor.patientIds.length && rows.some((row) => !actor.patientIds.includes(row.patient_id))) {
        throw unauthorized('The token names a record and an INS carried by another record');
      }
      for (const row of rows) ids.add(row.patient_id);
    }
    return { ...actor, patientIds: [...ids] };
  }
  if (actor.kind === 'guardian') {
    const { rows } = await db.query<{ patient_id: string; person: string | null; patient: string | null }>(sql`SELECT g.patient_id,
        rp.text AS person, p.text AS patient
      FROM access_guardian g
      JOIN resource rp ON rp.type = 'RelatedPerson' AND rp.id = g.related_person_id AND NOT rp.deleted
      LEFT JOIN resource p ON p.type = 'Patient' AND p.id = g.patient_id AND NOT p.deleted
      WHERE g.related_person_id = ${actor.id}`);
    const parse = <T>(text: string | null): T | undefined => (text ? (JSON.parse(text) as T) : undefined);
    const valid = rows.filter((row) => guardianLinkValid(parse<RelatedPerson>(row.person), parse<Patient>(row.patient), now));
    return { ...actor, patientIds: valid.map((row) => row.patient_id) };
  }
  return actor;
}
