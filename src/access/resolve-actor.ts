import type { Db } from '../store/db';
import { sql } from '../store/sql';
import type { DmpActor } from './actor';

/**
 * Completes an actor from the database, once per request: a practitioner's keys gain `Practitioner/<id>` of
 * the directory entries carrying his identifiers (consents and `generalPractitioner` may use either form);
 * a patient's compartments are his Patient id, or the Patients carrying his INS; a guardian's are the
 * patients his RelatedPerson is a guardian of.
 */
export async function resolveActor(db: Db, actor: DmpActor): Promise<DmpActor> {
  if (actor.kind === 'practitioner') {
    const identifiers = actor.keys.filter((k) => !k.startsWith('Practitioner/')).map((k) => {
      const bar = k.indexOf('|');
      return JSON.stringify({ identifier: [{ system: k.slice(0, bar), value: k.slice(bar + 1) }] });
    });
    if (identifiers.length === 0) return actor;
    const { rows } = await db.query<{ id: string }>(sql`SELECT r.id FROM resource r WHERE r.type = 'Practitioner' AND NOT r.deleted
      AND r.content @> ANY(${identifiers}::jsonb[]) LIMIT 20`);
    const keys = [...actor.keys, ...rows.map((row) => `Practitioner/${row.id}`)];
    return { ...actor, keys: keys.filter((k, i) => keys.indexOf(k) === i) };
  }
  if (actor.kind === 'patient') {
    const ids = new Set(actor.patientIds);
    if (actor.ins) {
      const { rows } = await db.query<{ patient_id: string }>(sql`SELECT patient_id FROM access_record WHERE ins && ${[actor.ins]}::text[]`);
      for (const row of rows) ids.add(row.patient_id);
    }
    return { ...actor, patientIds: [...ids] };
  }
  if (actor.kind === 'guardian') {
    const { rows } = await db.query<{ patient_id: string }>(sql`SELECT patient_id FROM access_guardian WHERE related_person_id = ${actor.id}`);
    return { ...actor, patientIds: rows.map((row) => row.patient_id) };
  }
  return actor;
}
