import type { DocumentReference, Resource } from '@medplum/fhirtypes';
import { markSystemContext } from '../../../src/access/access-hooks';
import type { RequestContext } from '../../../src/fhir/context';
import type { FhirService } from '../../../src/fhir/service';
import { SOURCE_DOCUMENT_URL } from '../../../src/store/derived-columns';
import { TRUE } from '../../../src/store/sql';
import { buildConsent, maskDoc, purpose } from '../../unit/access/fixture';
import { RequestState } from '../../../src/fhir/request-state';

export const IDNAT = 'urn:oid:1.2.250.1.71.4.2.1';
export const INS_NIR = 'urn:oid:1.2.250.1.213.1.4.8';
export const A07 = 'https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument';
/** RPPS numbers of the fixture's professionals. */
export const RPPS = { gp: '10000000001', spec: '10000000002', author: '10000000004', blocked: '10000000005', other: '10000000009' };
export const P1_INS = '279035121518989';
export const P2_INS = '180012100100107';
export const P3_INS = '190012100100102';
/** What the DMP Patient profile requires besides the INS. */
const person = (family: string) => ({ name: [{ family, given: ['Test'] }], gender: 'female' as const, birthDate: '1980-01-01' });

/** The server itself writing (as an import would): no actor checks, but every hook still keeps the access tables. */
export function systemContext(): RequestContext {
  const ctx: RequestContext = { requestId: 'fixture', access: TRUE, state: new RequestState() };
  markSystemContext(ctx);
  return ctx;
}

const IRCP = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] };
export const byRpps = (rpps: string) => ({ role: IRCP, reference: { identifier: { system: IDNAT, value: `8${rpps}` } } });
export const byRef = (id: string) => ({ role: IRCP, reference: { reference: `Practitioner/${id}` } });
export { maskDoc, purpose };

/** A Consent in the fixed issue-4 coding (the same builder as the unit fixture's). */
export const consent = buildConsent;

/** A DocumentReference with its Binary and one extracted Observation, all governed by the document. */
function documentParts(patientId: string, docId: string, opts: { flags?: string[]; author?: string } = {}): Resource[] {
  const doc: DocumentReference = {
    resourceType: 'DocumentReference',
    id: docId,
    status: 'current',
    subject: { reference: `Patient/${patientId}` },
    type: { coding: [{ system: 'http://loinc.org', code: '11488-4' }] },
    securityLabel: [
      { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N' }] },
      ...(opts.flags ?? []).map((code) => ({ coding: [{ system: A07, code }] })),
    ],
    author: opts.author ? [{ identifier: { system: IDNAT, value: `8${opts.author}` } }] : [],
    content: [{ attachment: { contentType: 'text/plain', url: `Binary/${docId}-bin` } }],
  };
  return [
    { resourceType: 'Binary', id: `${docId}-bin`, contentType: 'text/plain', securityContext: { reference: `DocumentReference/${docId}` }, data: Buffer.from(`report ${docId}`).toString('base64') },
    doc,
    {
      resourceType: 'Observation',
      id: `${docId}-obs`,
      status: 'final',
      code: { text: 'result' },
      subject: { reference: `Patient/${patientId}` },
      extension: [{ url: SOURCE_DOCUMENT_URL, valueReference: { reference: `DocumentReference/${docId}` } }],
    } as Resource,
  ];
}

const practitioner = (id: string, rpps: string): Resource => ({ resourceType: 'Practitioner', id, identifier: [{ system: IDNAT, value: `8${rpps}` }], name: [{ family: id }] });
const telecom = [{ system: 'email' as const, value: 'patient@example.org' }];

/**
 * The record set of the HTTP table:
 * - p1: a minor, open record; treating physician Practitioner/gp; guardian rp1; spec authorised (IdNat_PS);
 *   Practitioner/blocked blocked; other's permit withdrawn; d1 ordinary; d2 masked by consent; d3 MASQUE_PS at
 *   submission; d4 INVISIBLE_PATIENT; d5 INVISIBLE_REPRESENTANTS_LEGAUX; d1–d3 written by `author`; allergy a1.
 * - p2: open; spec's permit expired; break-glass and SAMU refused in advance; document e1.
 * - p3: no opening consent; document f1. p4: opened then closed, gp treating, spec authorised; document g1.
 * - directory: Practitioners gp, spec, author, blocked; Organization org1.
 */
export const FIXTURE: Resource[] = [
  practitioner('gp', RPPS.gp),
  practitioner('spec', RPPS.spec),
  practitioner('author', RPPS.author),
  practitioner('blocked', RPPS.blocked),
  { resourceType: 'Organization', id: 'org1', name: 'Laboratoire du Parc' },
  { resourceType: 'Patient', id: 'p1', identifier: [{ system: INS_NIR, value: P1_INS }], ...person('Martin'), birthDate: '2015-04-02', generalPractitioner: [{ reference: 'Practitioner/gp' }], telecom },
  {
    resourceType: 'RelatedPerson', id: 'rp1', patient: { reference: 'Patient/p1' },
    relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'MTH' }] }],
  },
  consent('c1-open', 'p1', { type: 'permit' }),
  consent('c1-spec', 'p1', { type: 'permit', actor: [byRpps(RPPS.spec)] }),
  consent('c1-other', 'p1', { type: 'permit', actor: [byRpps(RPPS.other)] }, 'inactive'),
  consent('c1-blocked', 'p1', { type: 'deny', actor: [byRef('blocked')] }),
  consent('c1-mask', 'p1', { type: 'deny', data: maskDoc('d2') }),
  { resourceType: 'AllergyIntolerance', id: 'a1', patient: { reference: 'Patient/p1' }, code: { text: 'peanut' } } as Resource,
  ...documentParts('p1', 'd1', { author: RPPS.author }),
  ...documentParts('p1', 'd2', { author: RPPS.author }),
  ...documentParts('p1', 'd3', { author: RPPS.author, flags: ['MASQUE_PS'] }),
  ...documentParts('p1', 'd4', { flags: ['INVISIBLE_PATIENT'] }),
  ...documentParts('p1', 'd5', { flags: ['INVISIBLE_REPRESENTANTS_LEGAUX'] }),
  { resourceType: 'Patient', id: 'p2', identifier: [{ system: INS_NIR, value: P2_INS }], ...person('Durand') },
  consent('c2-open', 'p2', { type: 'permit' }),
  consent('c2-spec', 'p2', { type: 'permit', actor: [byRpps(RPPS.spec)], period: { start: '2020-01-01', end: '2021-01-01' } }),
  consent('c2-no-btg', 'p2', { type: 'deny', purpose: purpose('BTG') }),
  consent('c2-no-samu', 'p2', { type: 'deny', purpose: purpose('ETREAT') }),
  ...documentParts('p2', 'e1'),
  { resourceType: 'Patient', id: 'p3', identifier: [{ system: INS_NIR, value: P3_INS }], ...person('Petit') },
  ...documentParts('p3', 'f1'),
  { resourceType: 'Patient', id: 'p4', active: false, ...person('Moreau'), generalPractitioner: [{ reference: 'Practitioner/gp' }] },
  consent('c4-open', 'p4', { type: 'permit' }),
  consent('c4-spec', 'p4', { type: 'permit', actor: [byRpps(RPPS.spec)] }),
  ...documentParts('p4', 'g1'),
];

/** Writes the fixture through the repository as the server itself (hooks keep the access tables). */
export async function loadFixture(service: FhirService): Promise<void> {
  const ctx = systemContext();
  for (const resource of FIXTURE) await service.repo.update(ctx, resource);
}
