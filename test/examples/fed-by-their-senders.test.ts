import { readFileSync } from 'node:fs';
import type { DocumentReference, Practitioner } from '@medplum/fhirtypes';
import { planCdaImport } from '../../src/cda';
import { openRecordAsPatient } from '../api/documents/open-record';
import { startAuditServer, type AuditServer } from '../api/audit/server-harness';
import { listPublicExamples, parentOf, publicExamplesPresent } from './public-examples';

// The French public examples filed by the systems that send them in real life, on the production composition: a
// feeder token (hospital, laboratory, imaging centre), the Assurance Maladie for its care history (CNAM-HR). The
// other example suites import with open access; a feeder writes only the parts of a document (fed-documents.ts) on
// behalf of an author the patient authorised, so a mapper producing a row outside the document refuses a whole
// document kind to every feeder (the imaging study once did). All French examples are PAT-TROIS's (test NIR
// 279035121518989, born 1979-03-28): she opens her record and authorises every author of the examples, then each
// example must land (201) with every resource of its plan. US C-CDA examples carry no INS: a feeder never files them.

const examples = listPublicExamples().filter((e) => e.dir === 'fr');
const AM = (file: string) => file.startsWith('CNAM-HR');
const IDNAT_PS = 'urn:oid:1.2.250.1.71.4.2.1';
/**
 * Examples refused, read from their XML: VAC_2023.01's legalAuthenticator (the patient, "Responsable du document")
 * carries the production NIR 276059205062865, whose control key should be 83, not 65 — a malformed INS names nobody,
 * or someone else, and the production composition refuses it (422 naming the element) whoever sends it.
 */
const REFUSED: Record<string, RegExp> = { 'VAC_2023.01.xml': /INS urn:oid:1\.2\.250\.1\.213\.1\.4\.8\|276059205062865: INS control key 65 does not match the number \(expected 83\)/ };

/**
 * The document's authors' IdNat_PS, from its plan: DocumentReference.author names a contained PractitionerRole whose
 * practitioner is a Practitioner entry (or a Practitioner entry, or the identifier itself).
 */
function authorsOf(bytes: Buffer): string[] {
  const entries = planCdaImport(bytes).bundle.entry ?? [];
  const doc = entries.find((e) => e.resource?.resourceType === 'DocumentReference')?.resource as DocumentReference;
  const idNatOf = (reference: string | undefined): string[] => {
    const practitioner = entries.find((e) => e.fullUrl === reference)?.resource as Practitioner | undefined;
    return (practitioner?.resourceType === 'Practitioner' ? practitioner.identifier ?? [] : []).filter((i) => i.system === IDNAT_PS).map((i) => i.value as string);
  };
  return (doc.author ?? []).flatMap((a) => {
    if (a.identifier?.system === IDNAT_PS) return [a.identifier.value as string];
    const contained = a.reference?.startsWith('#') ? (doc.contained ?? []).find((c) => c.id === a.reference?.slice(1)) : undefined;
    if (contained?.resourceType === 'PractitionerRole') return idNatOf(contained.practitioner?.reference);
    return idNatOf(a.reference);
  });
}


const typesOf = (types: string[]) => types.filter((t) => t !== 'Practitioner' && t !== 'Organization' && t !== 'Patient').sort();

describe('the French public examples, filed by the systems that send them', () => {
  if (!publicExamplesPresent('the feeders\' import of the public examples')) return;
  let s: AuditServer;
  const tokens: Record<string, string> = {};

  beforeAll(async () => {
    s = await startAuditServer();
    tokens.feeder = await s.token({ kind: 'system', id: 'hospital-feeder' });
    tokens.am = await s.token({ kind: 'system', id: 'cnam', category: 'assurance-maladie' });
    const authors = new Set(examples.filter((e) => !AM(e.file)).flatMap((e) => authorsOf(readFileSync(e.path))));
    const identity = { system: 'urn:oid:1.2.250.1.213.1.4.10', value: '279035121518989', family: 'PAT-TROIS', given: 'DOMINIQUE', gender: 'female' as const, birthDate: '1979-03-28' };
    tokens.patient = (await openRecordAsPatient(s, identity, authors)).token;
  }, 180_000);
  afterAll(() => s?.close());

  it('finds the French examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(10);
  });

  const file$ = (token: string, bytes: Buffer) =>
    fetch(`${s.server.fhirUrl}/DocumentReference/$import`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/xml', accept: 'application/fhir+json' }, body: bytes });

  it.each(examples.filter((e) => REFUSED[e.file]))('fr/$file: refused (422) for what its XML holds, nothing written', async ({ file, path }) => {
    const documents = async () => (await s.fhir(tokens.patient, 'GET', '/DocumentReference?_summary=count')).body.total;
    const before = await documents();
    const res = await file$(tokens.feeder, readFileSync(path));
    const body = (await res.json()) as { issue: { diagnostics: string }[] };
    expect(res.status).toBe(422);
    expect(body.issue[0].diagnostics).toMatch(REFUSED[file]);
    expect(await documents()).toBe(before);
  });

  it.each(examples.filter((e) => !REFUSED[e.file]))('fr/$file: 201 with every resource of its plan', async ({ file, path }) => {
    const bytes = readFileSync(path);
    const token = tokens[AM(file) ? 'am' : 'feeder'];
    const parent = parentOf(bytes);
    if (parent) expect((await file$(token, parent)).status).toBe(201);
    const planned = (planCdaImport(bytes).bundle.entry ?? []).map((e) => e.resource?.resourceType as string);
    const res = await file$(token, bytes);
    const body = (await res.json()) as { entry?: { response: { location: string } }[] };
    expect([res.status, res.status === 201 ? '' : JSON.stringify(body).slice(0, 600)]).toEqual([201, '']);
    const filed = (body.entry ?? []).map((e) => e.response.location.split('/_history/')[0].split('/').slice(-2)[0]);
    expect(typesOf(filed)).toEqual(typesOf(planned));
  });
});
