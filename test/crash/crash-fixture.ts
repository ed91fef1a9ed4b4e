import type { Consent, DocumentReference, Patient, Practitioner } from '@medplum/fhirtypes';
import { buildConsent } from '../support/consent';

const IDNAT = 'urn:oid:1.2.250.1.71.4.2.1';
/** RPPS of the professional who writes and reads in the crash loop. */
export const AUTHOR_RPPS = '10000000004';
/** Patients of the crash fixture, each with an e-mail address. */
export const PATIENTS = ['c1', 'c2', 'c3', 'c4'];

const consent = buildConsent;

/** The author, the patients (opened records, author authorised) of the crash test. */
export function crashFixture(): (Practitioner | Patient | Consent)[] {
  const author: Practitioner = { resourceType: 'Practitioner', id: 'author', identifier: [{ system: IDNAT, value: `8${AUTHOR_RPPS}` }], name: [{ family: 'MARTIN', prefix: ['Dr'] }] };
  return [
    author,
    ...PATIENTS.flatMap((id) => [
      { resourceType: 'Patient', id, name: [{ family: id.toUpperCase() }], telecom: [{ system: 'email', value: `${id}@example.org` }] } as Patient,
      consent(`${id}-open`, id, { type: 'permit' }),
      consent(`${id}-author`, id, {
        type: 'permit',
        actor: [{ role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] }, reference: { identifier: { system: IDNAT, value: `8${AUTHOR_RPPS}` } } }],
      }),
    ]),
  ];
}

/** A small document for a patient (an inline PDF), as the author submits it. */
export function crashDocument(patientId: string, n: number): DocumentReference {
  return {
    resourceType: 'DocumentReference',
    status: 'current',
    masterIdentifier: { system: 'urn:ietf:rfc:3986', value: `urn:oid:1.2.250.1.999.1.2.3.${n}` },
    type: { coding: [{ system: 'http://loinc.org', code: '11488-4', display: 'Consult note' }] },
    subject: { reference: `Patient/${patientId}` },
    date: '2024-05-12T10:00:00+02:00',
    author: [{ reference: 'Practitioner/author' }],
    content: [{ attachment: { contentType: 'application/pdf', data: Buffer.from(`%PDF-1.4\n% crash ${n}\n%%EOF\n`).toString('base64') } }],
  };
}
