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
