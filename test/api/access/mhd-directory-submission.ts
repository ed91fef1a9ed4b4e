import type { Bundle, BundleEntry, DocumentReference } from '@medplum/fhirtypes';
import { newConsent, permitIdNat } from '../../support/consent';
import type { useDirectorySweep } from './directory-sweep';
import { INS_NIR, P1_INS } from './fixture';

/** The ITI-65 submissions of the directory sweeps for an MHD client's own directory entries, over one sweep's server. */
export function mhdDirectorySubmissions(sweep: ReturnType<typeof useDirectorySweep>) {
  const { tokens, split, fresh, next } = sweep;
  const uuid = (n: number) => `urn:uuid:7a2c0d3e-0000-4000-8000-${String(n).padStart(12, '0')}`;

  /** An entry as an MHD client writes it: a conditional create on the identifier it gives (`criteria: null`: a plain create). */
  function clientEntry(n: number, type: 'Practitioner' | 'Organization', key: string, name: string, criteria: string | null = `identifier=${key}`): BundleEntry {
    const resource = type === 'Organization' ? { resourceType: type, name, identifier: [split(key)] } : { resourceType: type, name: [{ given: ['Jeanne'], family: name }], identifier: [split(key)] };
    return { fullUrl: uuid(n), resource: resource as never, request: { method: 'POST', url: type, ...(criteria === null ? {} : { ifNoneExist: criteria }) } };
  }

  /** A feeder's ITI-65 submission of a text report for p1: the client's directory entries first, its author and custodian. */
  function submission(directory: BundleEntry[], document: Pick<DocumentReference, 'author' | 'custodian'>): Bundle {
    const text = `compte rendu ${next()}`;
    return {
      resourceType: 'Bundle', type: 'transaction',
      entry: [
        ...directory,
        { fullUrl: uuid(90), resource: { resourceType: 'Binary', contentType: 'text/plain', data: Buffer.from(text).toString('base64') }, request: { method: 'POST', url: 'Binary' } },
        {
          fullUrl: uuid(91),
          resource: {
            resourceType: 'DocumentReference', status: 'current', type: { coding: [{ system: 'http://loinc.org', code: '11502-2' }] },
            subject: { reference: `Patient?identifier=${INS_NIR}|${P1_INS}` }, ...document,
            content: [{ attachment: { contentType: 'text/plain', url: uuid(90) } }],
          },
          request: { method: 'POST', url: 'DocumentReference' },
        },
      ],
    };
  }

  const answers = (res: { body: Bundle }) => (res.body.entry ?? []).map((e) => ({ status: e.response?.status, location: e.response?.location?.replace(/\/_history\/.*$/, '') }));

  /** The DocumentReference a submission filed, as the treating physician reads it. */
  async function filedDocument(res: { body: Bundle }): Promise<DocumentReference> {
    const location = (res.body.entry ?? []).map((e) => e.response?.location ?? '').find((l) => l.includes('DocumentReference/')) as string;
    const id = location.split('DocumentReference/')[1].split('/')[0];
    return (await sweep.run.s.fhir(tokens.gp, 'GET', `/DocumentReference/${id}`)).body as DocumentReference;
  }

  /** An RPPS number nobody holds yet, authorised by p1 (a Consent naming his IdNat_PS). */
  async function authorisedProfessional(): Promise<string> {
    const rpps = fresh('1000066', 11); // numbers the fixture's people do not hold
    const res = await sweep.run.s.fhir(tokens.patient, 'POST', '/Consent', newConsent('p1', permitIdNat(`8${rpps}`)));
    expect(res.status).toBe(201);
    return rpps;
  }

  return { uuid, clientEntry, submission, answers, filedDocument, authorisedProfessional };
}
