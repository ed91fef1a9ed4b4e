import type { Consent, ConsentProvision } from '@medplum/fhirtypes';

/** A Consent in the coding fixed by issue 4 (scope patient-privacy, LOINC 59284-0, policy OPTIN). */
export function buildConsent(id: string, patientId: string, provision: ConsentProvision, status: Consent['status'] = 'active'): Consent {
  return {
    resourceType: 'Consent',
    id,
    status,
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] },
    category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }],
    patient: { reference: `Patient/${patientId}` },
    policyRule: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'OPTIN' }] },
    provision,
  };
}

/** A new Consent of `patientId` (no id: POSTed), in the coding of buildConsent. */
export const newConsent = (patientId: string, provision: ConsentProvision): Consent => ({ ...buildConsent('new', patientId, provision), id: undefined });

/** A provision authorising the professional of this IdNat_PS (`8` + RPPS) as a recipient (IRCP). */
export const permitIdNat = (idNat: string): ConsentProvision => ({
  type: 'permit',
  actor: [{ role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] }, reference: { identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: idNat } } }],
});
