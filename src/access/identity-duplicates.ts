import type { Patient } from '@medplum/fhirtypes';
import type { RequestContext } from '../fhir/context';
import type { FhirService } from '../fhir/service';
import type { Statements } from '../store/db';
import { sql, TRUE } from '../store/sql';
import { markSystemContext } from './access-hooks';
import { insValues } from './record-ins';
import { RequestState } from '../fhir/request-state';
import { statementsOf } from '../system/system-repository';

/** A record sharing an INS with the record that holds it (migration 150, `identity_duplicate`). */
export interface IdentityDuplicate {
  patientId: string;
  ins: string;
  keptPatientId: string;
  listedAt: Date;
  resolvedAt: Date | null;
  resolution: string | null;
}

/** The duplicates the operator has to look at (all of them, resolved ones included, with `all`). */
export async function listIdentityDuplicates(db: Statements, options: { all?: boolean } = {}): Promise<IdentityDuplicate[]> {
  const { rows } = await db.query<{ patient_id: string; ins: string; kept_patient_id: string; listed_at: Date; resolved_at: Date | null; resolution: string | null }>(
    sql`SELECT patient_id, ins, kept_patient_id, listed_at, resolved_at, resolution FROM identity_duplicate
        WHERE ${options.all ? TRUE : sql`resolved_at IS NULL`} ORDER BY ins, listed_at, patient_id`,
  );
  return rows.map((r) => ({ patientId: r.patient_id, ins: r.ins, keptPatientId: r.kept_patient_id, listedAt: new Date(r.listed_at), resolvedAt: r.resolved_at ? new Date(r.resolved_at) : null, resolution: r.resolution }));
}

/** The operator, as the trail names him (a system actor: the action is the server's, on an operator's decision). */
function operatorContext(operator: string, reason: string): RequestContext {
  const actor = { kind: 'system', id: `operator:${operator}`, display: `Operator ${operator} (identity:duplicates)`, claims: { client_id: `operator:${operator}` } };
  const ctx: RequestContext = { requestId: `identity-duplicates-${Date.now()}`, access: TRUE, state: new RequestState(), actor, purposeOfUse: 'HOPERAT', purposeReason: reason };
  markSystemContext(ctx);
  return ctx;
}

/**
 * Closes one record of a duplicated INS (`Patient.active = false`), as an operator's action, audited with his
 * name and reason. A listed duplicate is marked resolved; when the operator closes the record that held the INS,
 * the oldest remaining duplicate takes it over. A record that shares no INS is refused: closing it is the patient's
 * decision, not the operator's.
 */
export async function closeDuplicateRecord(svc: FhirService, options: { patientId: string; reason: string; operator: string }): Promise<{ patientId: string; ins: string[]; promoted: string[] }> {
  const { patientId, reason, operator } = options;
  if (!reason.trim()) throw new Error('--reason is required');
  const ctx = operatorContext(operator, reason);
  return svc.repo.transaction(async (repo) => {
    const db = statementsOf(repo); // an operator's act on the duplicate list, in the close's transaction
    const current = (await repo.lockTarget(ctx, 'Patient', patientId)).row;
    if (!current || current.deleted) throw new Error(`Patient/${patientId} not found`);
    const patient = JSON.parse(current.text as string) as Patient;
    const ins = insValues(patient);
    const resolution = `closed by ${operator}: ${reason}`;
    const listed = await db.query(sql`UPDATE identity_duplicate SET resolved_at = now(), resolution = ${resolution}
      WHERE patient_id = ${patientId} AND resolved_at IS NULL RETURNING ins`);
    const promoted: string[] = [];
    for (const value of ins) {
      const { rows } = await db.query<{ patient_id: string }>(sql`SELECT d.patient_id FROM identity_duplicate d JOIN record_ins h ON h.ins = d.ins
        WHERE d.ins = ${value} AND h.patient_id = ${patientId} AND d.resolved_at IS NULL ORDER BY d.listed_at, d.patient_id LIMIT 1`);
      const next = rows[0]?.patient_id;
      if (!next) continue;
      // The closed record leaves the INS to the oldest remaining duplicate (listed, so that it never claims it back).
      await db.query(sql`DELETE FROM identity_duplicate WHERE patient_id = ${next} AND ins = ${value}`);
      await db.query(sql`INSERT INTO identity_duplicate (patient_id, ins, kept_patient_id, resolved_at, resolution)
        VALUES (${patientId}, ${value}, ${next}, now(), ${resolution}) ON CONFLICT (patient_id, ins) DO NOTHING`);
      await db.query(sql`UPDATE record_ins SET patient_id = ${next} WHERE ins = ${value}`);
      await db.query(sql`UPDATE identity_duplicate SET kept_patient_id = ${next} WHERE ins = ${value} AND resolved_at IS NULL`);
      promoted.push(`${value} → Patient/${next}`);
    }
    if (listed.rowCount === 0 && promoted.length === 0) {
      throw new Error(`Patient/${patientId} shares no INS with another record: closing it is the patient's decision`);
    }
    await repo.update(ctx, { ...patient, active: false }, { ifMatch: current.versionId });
    return { patientId, ins, promoted };
  });
}
