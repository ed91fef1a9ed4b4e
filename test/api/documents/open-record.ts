import type { AuditServer } from '../audit/server-harness';
import { newConsent, permitIdNat } from '../../support/consent';

/** Who a record is for, as a document's recordTarget names her. */
export interface RecordIdentity {
  system: string;
  value: string;
  family: string;
  given: string;
  gender: 'female' | 'male';
  birthDate: string;
}

/**
 * What a patient does before documents can be filed for her: she creates her Patient (token by INS), opens her
 * record (opening consent) and authorises each author (IdNat_PS). Answers the patient's id and token; fails the test
 * on any refusal, naming it.
 */
export async function openRecordAsPatient(s: AuditServer, identity: RecordIdentity, authors: Iterable<string>): Promise<{ id: string; token: string }> {
  const token = await s.token({ kind: 'patient', id: identity.value });
  const created = await s.fhir(token, 'POST', '/Patient', {
    resourceType: 'Patient',
    identifier: [{ system: identity.system, value: identity.value }],
    name: [{ family: identity.family, given: [identity.given] }],
    gender: identity.gender,
    birthDate: identity.birthDate,
  });
  if (created.status !== 201) throw new Error(`Patient ${identity.value}: ${created.status} ${JSON.stringify(created.body)}`);
  const id = created.body.id as string;
  for (const provision of [{ type: 'permit' as const }, ...[...authors].map(permitIdNat)]) {
    const consent = await s.fhir(token, 'POST', '/Consent', newConsent(id, provision));
    if (consent.status !== 201) throw new Error(`Consent of ${identity.value}: ${consent.status} ${JSON.stringify(consent.body)}`);
  }
  return { id, token };
}
