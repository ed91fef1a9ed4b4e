import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Bundle, BundleEntry, DocumentReference } from '@medplum/fhirtypes';
import { sql } from '../../../src/store/sql';
import { startAuditServer, type AuditServer } from '../audit/server-harness';
import { loadFixture, P1_INS, RPPS } from '../access/fixture';
import { provideBundle } from './documents-app';

/**
 * Intake from feeders and the Assurance Maladie (issue 13 items 2 and 8). Item 2: the ANS PDSm replacement bundle (new DocumentReference `relatesTo replaces` + FHIRPath PATCH of the
 * parent's status) works for a feeder as for a practitioner, where the feeder may change the parent (it submitted it:
 * access/provenance.ts). Another feeder reads nothing, so the parent is absent for him: refused like a missing document
 * (422, hidden is absent — issue 11, test/api/access/who-may-change.test.ts), nothing written. The production
 * composition on the access fixture (p1).
 */
const pdsm = (name: string): string => readFileSync(path.join(__dirname, '../../../fixtures/pdsm', `${name}.json`), 'utf8');
/** The fixtures' patient and author, made p1 and the specialist p1 authorised. */
const forP1 = (text: string): Bundle => JSON.parse(text.split('180057512345627').join(P1_INS).split('810001234567').join(`8${RPPS.spec}`)) as Bundle;
const refOf = (location: string) => location.split('/_history/')[0].split('/').slice(-2).join('/');

let s: AuditServer;
const tokens: Record<string, string> = {};
let count = 0;

/** The PDSm parent (replacement-target.json), POSTed (a feeder cannot choose ids), under a document id of its own. */
async function submitParent(token: string): Promise<string> {
  count += 1;
  const bundle = forP1(pdsm('replacement-target'));
  const entries = bundle.entry as BundleEntry[];
  for (const e of entries) {
    if (e.request?.url === 'DocumentReference/cr-consultation-v1') {
      e.request = { method: 'POST', url: 'DocumentReference' };
      delete (e.resource as DocumentReference).id;
      (e.resource as DocumentReference).masterIdentifier = { system: 'urn:ietf:rfc:3986', value: `urn:oid:1.2.250.1.999.7.2.1.${count}` };
    }
  }
  const res = await s.fhir(token, 'POST', '', bundle);
  expect([res.status, res.status === 200 ? '' : JSON.stringify(res.body)]).toEqual([200, '']);
  const doc = res.body.entry.map((e: { response: { location: string } }) => refOf(e.response.location)).find((r: string) => r.startsWith('DocumentReference/'));
  return doc.split('/')[1];
}

/** The PDSm replacement bundle (replacement-submission.json) aimed at `parent`. */
function replacementOf(parent: string): Bundle {
  count += 1;
  const bundle = forP1(pdsm('replacement-submission').split('cr-consultation-v1').join(parent));
  const doc = (bundle.entry as BundleEntry[])[1].resource as DocumentReference;
  doc.masterIdentifier = { system: 'urn:ietf:rfc:3986', value: `urn:oid:1.2.250.1.999.7.2.2.${count}` };
  return bundle;
}

beforeAll(async () => {
  s = await startAuditServer();
  await loadFixture(s.server.service);
  tokens.feeder = await s.token({ kind: 'system', id: 'lab-feeder' });
  tokens.otherFeeder = await s.token({ kind: 'system', id: 'other-lab-feeder' });
  tokens.gp = await s.token({ kind: 'practitioner', id: RPPS.gp });
}, 120_000);
afterAll(() => s?.close());

test('a feeder replaces a document it submitted with the PDSm bundle: the parent superseded, the PATCH entry run', async () => {
  const parent = await submitParent(tokens.feeder);
  const res = await s.fhir(tokens.feeder, 'POST', '', replacementOf(parent));
  expect([res.status, res.status === 200 ? '' : JSON.stringify(res.body)]).toEqual([200, '']);
  expect(res.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual(['201 Created', '201 Created', '200 OK', '201 Created']);
  const old = await s.fhir(tokens.gp, 'GET', `/DocumentReference/${parent}`);
  expect(old.body.status).toBe('superseded');
  const replacement = await s.fhir(tokens.gp, 'GET', `/${refOf(res.body.entry[1].response.location)}`);
  expect(replacement.body.relatesTo[0]).toMatchObject({ code: 'replaces', target: { reference: `DocumentReference/${parent}` } });
  expect(replacement.body.status).toBe('current');
});

test('another feeder may not replace that document: refused as absent for him (422), and nothing written', async () => {
  const parent = await submitParent(tokens.feeder);
  const bundle = replacementOf(parent);
  const res = await s.fhir(tokens.otherFeeder, 'POST', '', bundle);
  expect(res.status).toBe(422);
  expect(JSON.stringify(res.body.issue)).toContain(`relatesTo replaces DocumentReference/${parent}, which does not exist`);
  const old = await s.fhir(tokens.gp, 'GET', `/DocumentReference/${parent}`);
  expect(old.body.status).toBe('current');
  const master = ((bundle.entry as BundleEntry[])[1].resource as DocumentReference).masterIdentifier?.value;
  const found = await s.fhir(tokens.gp, 'GET', `/DocumentReference?identifier=urn:ietf:rfc:3986|${master}`);
  expect(found.body.entry ?? []).toHaveLength(0);
});

/**
 * fixtures/cda/lab-report-two-results.xml (id 1.2.250.1.999.1.1.7.1, two results) and -v2.xml (id …7.2, relatedDocument
 * RPLC of …7.1), made p1's: INS under the NIR root p1's record carries, p1's birth name and birth date, written by the
 * specialist p1 authorised (a feeder submits on behalf of an authorised author).
 */
function labReportOfP1(file: string, edits: [string, string][] = []): Buffer {
  let xml = readFileSync(path.join(__dirname, '../../../fixtures/cda', file), 'utf8')
    .replace('<id root="1.2.250.1.213.1.4.10" extension="279035121518989"/>', `<id root="1.2.250.1.213.1.4.8" extension="${P1_INS}"/>`)
    .replace('<family qualifier="BR">PAT-TROIS</family>', '<family qualifier="BR">Martin</family>')
    .replace('<birthTime value="19790328"/>', '<birthTime value="20150402"/>')
    .split('extension="801234534765"').join(`extension="8${RPPS.spec}"`);
  for (const [from, to] of edits) {
    if (!xml.includes(from)) throw new Error(`${file} has no ${from}`);
    xml = xml.replace(from, to);
  }
  return Buffer.from(xml);
}

async function importAs(token: string, bytes: Buffer): Promise<{ status: number; body: any }> {
  const res = await fetch(`${s.server.fhirUrl}/DocumentReference/$import`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/hl7-cda+xml', accept: 'application/fhir+json' }, body: bytes });
  return { status: res.status, body: JSON.parse(await res.text()) };
}

const documentOf = (body: Bundle): string => (body.entry ?? []).map((e) => refOf(e.response?.location ?? '')).find((r) => r.startsWith('DocumentReference/')) as string;

/** Statuses of the Observations extracted from a document, as the treating physician reads them. */
async function resultStatuses(document: string): Promise<string[]> {
  const res = await s.fhir(tokens.gp, 'GET', '/Observation?patient=p1&_count=200');
  return (res.body.entry ?? []).map((e: BundleEntry) => e.resource as { status: string; extension?: { valueReference?: { reference?: string } }[] })
    .filter((o: { extension?: { valueReference?: { reference?: string } }[] }) => o.extension?.some((x) => x.valueReference?.reference === document))
    .map((o: { status: string }) => o.status);
}

test('a feeder\'s CDA replacement (RPLC) supersedes the report it submitted and retires its two results', async () => {
  const first = await importAs(tokens.feeder, labReportOfP1('lab-report-two-results.xml'));
  expect([first.status, first.status === 201 ? '' : JSON.stringify(first.body)]).toEqual([201, '']);
  const v1 = documentOf(first.body);
  expect(await resultStatuses(v1)).toEqual(['final', 'final']);
  const second = await importAs(tokens.feeder, labReportOfP1('lab-report-two-results-v2.xml'));
  expect([second.status, second.status === 201 ? '' : JSON.stringify(second.body)]).toEqual([201, '']);
  expect((await s.fhir(tokens.gp, 'GET', `/${v1}`)).body.status).toBe('superseded');
  expect(await resultStatuses(v1)).toEqual(['entered-in-error', 'entered-in-error']);
  const v2 = (await s.fhir(tokens.gp, 'GET', `/${documentOf(second.body)}`)).body as DocumentReference;
  expect(v2.relatesTo?.[0]).toMatchObject({ code: 'replaces', target: { reference: v1 } });
});

test('another feeder\'s CDA replacing that report is refused as absent for him (422), and nothing is written', async () => {
  const v3 = labReportOfP1('lab-report-two-results-v2.xml', [
    ['<id root="1.2.250.1.999.1.1.7.2"/>', '<id root="1.2.250.1.999.1.1.7.3"/>'],
    ['<parentDocument><id root="1.2.250.1.999.1.1.7.1"/>', '<parentDocument><id root="1.2.250.1.999.1.1.7.2"/>'],
  ]);
  const res = await importAs(tokens.otherFeeder, v3);
  expect(res.status).toBe(422);
  expect(res.body.issue[0].diagnostics).toMatch(/^relatesTo replaces the document urn:ietf:rfc:3986\|urn:oid:1\.2\.250\.1\.999\.1\.1\.7\.2, which does not exist in this record/);
  const found = await s.fhir(tokens.gp, 'GET', '/DocumentReference?identifier=urn:ietf:rfc:3986|urn:oid:1.2.250.1.999.1.1.7.3');
  expect(found.body.entry ?? []).toHaveLength(0);
  // Hidden is absent: the same submission naming a parent no record holds gets the same answer, but for the id.
  const unknown = await importAs(tokens.otherFeeder, labReportOfP1('lab-report-two-results-v2.xml', [
    ['<id root="1.2.250.1.999.1.1.7.2"/>', '<id root="1.2.250.1.999.1.1.7.3"/>'],
    ['<parentDocument><id root="1.2.250.1.999.1.1.7.1"/>', '<parentDocument><id root="1.2.250.1.999.1.1.7.9"/>'],
    ['<setId root="1.2.250.1.999.1.1.7"/>', '<setId root="1.2.250.1.999.1.1.79"/>'],
  ]));
  expect(unknown.status).toBe(422);
  expect(JSON.stringify(unknown.body).split('1.1.7.9').join('1.1.7.2')).toBe(JSON.stringify(res.body));
});

/** Directory entries carrying an identifier, counted by the server (the Assurance Maladie reads nothing). */
async function directoryCount(type: string, system: string, value: string): Promise<number> {
  const { rows } = await s.testDb.db.query<{ text: string }>(sql`SELECT text FROM resource WHERE type = ${type} AND NOT deleted`);
  return rows.filter((r) => (JSON.parse(r.text) as { identifier?: { system?: string; value?: string }[] }).identifier?.some((i) => i.system === system && i.value === value)).length;
}

test('Assurance Maladie care histories, imported one after another or together, name one Organization and one Practitioner', async () => {
  const am = await s.token({ kind: 'system', id: 'cnam', category: 'assurance-maladie' });
  // fixtures/cda/cnam-hr-remboursements.xml: organisation IdNat_Struct 318003502400041, authenticator IdNat_PS 697121458706.
  const history = (n: number) => Buffer.from(readFileSync(path.join(__dirname, '../../../fixtures/cda/cnam-hr-remboursements.xml'), 'utf8')
    .split('extension="cnam-hr-1"').join(`extension="cnam-hr-${n}"`));
  const first = await importAs(am, history(1));
  expect([first.status, first.status === 201 ? '' : JSON.stringify(first.body)]).toEqual([201, '']);
  expect((await importAs(am, history(2))).status).toBe(201);
  const together = await Promise.all([importAs(am, history(3)), importAs(am, history(4))]);
  expect(together.map((r) => r.status)).toEqual([201, 201]);
  // The same by ITI-65 (a care-history DocumentReference carrying the CDA): the extraction links the known entries.
  const bundle = provideBundle({ bytes: history(5), masterValue: 'urn:oid:1.2.250.1.999.1.1.30^cnam-hr-5' }, 'Patient/p1');
  const doc = (bundle.entry as BundleEntry[])[1].resource as DocumentReference;
  doc.type = { coding: [{ system: 'urn:oid:1.2.250.1.213.1.1.4.12', code: 'REMB' }] };
  doc.category = [{ coding: [{ system: 'urn:oid:1.2.250.1.213.1.1.4.1', code: '60' }] }];
  const submitted = await s.fhir(am, 'POST', '', bundle);
  expect([submitted.status, submitted.status === 200 ? '' : JSON.stringify(submitted.body)]).toEqual([200, '']);
  expect(await directoryCount('Organization', 'urn:oid:1.2.250.1.71.4.2.2', '318003502400041')).toBe(1);
  expect(await directoryCount('Practitioner', 'urn:oid:1.2.250.1.71.4.2.1', '697121458706')).toBe(1);
});

test('two Assurance Maladie ITI-65 care histories sent at once, naming a professional no entry holds yet, create one Practitioner', async () => {
  const am = await s.token({ kind: 'system', id: 'cnam', category: 'assurance-maladie' });
  // fixtures/cda/cnam-hr-remboursements.xml with its authenticator (IdNat_PS 697121458706) made a new one per round.
  const history = (n: number, idNat: string) => Buffer.from(readFileSync(path.join(__dirname, '../../../fixtures/cda/cnam-hr-remboursements.xml'), 'utf8')
    .split('extension="cnam-hr-1"').join(`extension="cnam-hr-race-${n}"`).split('extension="697121458706"').join(`extension="${idNat}"`));
  for (const [round, idNat] of ['697100000091', '697100000092', '697100000093'].entries()) {
    const submission = (n: number) => {
      const bundle = provideBundle({ bytes: history(n, idNat), masterValue: `urn:oid:1.2.250.1.999.1.1.30^cnam-hr-race-${n}` }, 'Patient/p1');
      const doc = (bundle.entry as BundleEntry[])[1].resource as DocumentReference;
      doc.type = { coding: [{ system: 'urn:oid:1.2.250.1.213.1.1.4.12', code: 'REMB' }] };
      doc.category = [{ coding: [{ system: 'urn:oid:1.2.250.1.213.1.1.4.1', code: '60' }] }];
      return s.fhir(am, 'POST', '', bundle);
    };
    const answers = await Promise.all([submission(round * 2 + 1), submission(round * 2 + 2)]);
    expect(answers.map((a) => [a.status, a.status === 200 ? '' : JSON.stringify(a.body)])).toEqual([[200, ''], [200, '']]);
    expect(await directoryCount('Practitioner', 'urn:oid:1.2.250.1.71.4.2.1', idNat)).toBe(1);
  }
});
