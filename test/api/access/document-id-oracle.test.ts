import { createHash } from 'node:crypto';
import { startAuditServer, type AuditServer } from '../audit/server-harness';
import { loadFixture, RPPS } from './fixture';
import { P1_LAB_REPORT } from './p1-documents';

// Issue 11, hidden is absent for document ids. A document id (masterIdentifier, the XDS uniqueId) is filed once, and a
// submission re-sent unchanged is answered with what is filed (feeders retry). Before this rule, anyone who sent a
// document id already filed learnt about the filed document: 200 and the ids of its resources when his bytes and
// record were the same, "other content or another record" otherwise, and from $import the SHA-1 of the filed bytes —
// an oracle on a record's content for a feeder that reads nothing, or a professional the record does not admit.
// Now only a caller who knows the filed document (reads it, or may change it: the feeder that submitted it, its
// author) is answered so; anyone else gets one 409 whatever the filed document's content and record.
// Production composition (documents, access, audit), on the access fixture (p1 authorises spec; p2 is another record).

let s: AuditServer;
const tokens: Record<string, string> = {};
/** The same document id with other bytes (a changed result): a different document under a taken id. */
const LAB_REPORT = P1_LAB_REPORT;
const LAB_REPORT_CHANGED = LAB_REPORT.replace('<title>', '<title>Modifié — ');

const MASTER = { system: 'urn:ietf:rfc:3986', value: 'urn:oid:1.2.250.1.999.77.1' };
const sha1 = (text: string) => createHash('sha1').update(text).digest('base64');
/** An ITI-65 Provide Document Bundle of one text document in `patient`'s record, authored by the treating physician. */
const provide = (patient: string, text: string) => ({
  resourceType: 'Bundle',
  type: 'transaction',
  entry: [
    {
      fullUrl: 'urn:uuid:6a1c0a55-0000-4000-8000-000000000001',
      resource: { resourceType: 'Binary', contentType: 'text/plain', data: Buffer.from(text).toString('base64'), securityContext: { reference: 'urn:uuid:6a1c0a55-0000-4000-8000-000000000002' } },
      request: { method: 'POST', url: 'Binary' },
    },
    {
      fullUrl: 'urn:uuid:6a1c0a55-0000-4000-8000-000000000002',
      resource: {
        resourceType: 'DocumentReference',
        status: 'current',
        masterIdentifier: MASTER,
        type: { coding: [{ system: 'http://loinc.org', code: '11488-4' }] },
        subject: { reference: `Patient/${patient}` },
        author: [{ identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: `8${RPPS.gp}` } }],
        content: [{ attachment: { contentType: 'text/plain', url: 'urn:uuid:6a1c0a55-0000-4000-8000-000000000001', hash: sha1(text) } }],
      },
      request: { method: 'POST', url: 'DocumentReference' },
    },
  ],
});
const REPORT = 'Compte rendu de consultation';

const importCda = (token: string, xml: string) => s.importCda(token, xml);
const answer = (res: { status: number; body: any }) => ({ status: res.status, body: res.body });
const documentsOf = async (patient: string) => (await s.fhir(tokens.patient, 'GET', `/DocumentReference?patient=${patient}&_summary=count`)).body.total;

beforeAll(async () => {
  s = await startAuditServer();
  await loadFixture(s.server.service);
  tokens.feeder = await s.token({ kind: 'system', id: 'lab-feeder' });
  tokens.otherFeeder = await s.token({ kind: 'system', id: 'other-feeder' });
  tokens.stranger = await s.token({ kind: 'practitioner', id: RPPS.other });
  tokens.patient = await s.token({ kind: 'patient', id: 'p1' });
}, 120_000);
afterAll(() => s?.close());

describe('an ITI-65 submission naming a document id already filed', () => {
  let filed: string[];
  beforeAll(async () => {
    const res = await s.fhir(tokens.feeder, 'POST', '', provide('p1', REPORT));
    expect([res.status, res.status === 200 ? '' : JSON.stringify(res.body)]).toEqual([200, '']);
    filed = res.body.entry.map((e: any) => e.response.location.split('/_history/')[0]);
  });

  test('is answered to the feeder that filed it with what is filed (idempotent replay), nothing written again', async () => {
    const before = await documentsOf('p1');
    const res = await s.fhir(tokens.feeder, 'POST', '', provide('p1', REPORT));
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: any) => [e.response.status, e.response.location.split('/_history/')[0]])).toEqual(filed.map((l) => ['200 OK', l]));
    expect(await documentsOf('p1')).toBe(before);
  });

  test('tells the feeder that filed it that other bytes under its id are another document', async () => {
    const res = await s.fhir(tokens.feeder, 'POST', '', provide('p1', `${REPORT} (corrigé)`));
    expect(res.status).toBe(409);
    expect(res.body.issue[0].diagnostics).toMatch(/other content or in another record/);
  });

  test('answers anyone else one 409, the same for the same bytes, other bytes and another record, naming no resource', async () => {
    const before = [await documentsOf('p1'), await documentsOf('p2')];
    for (const who of ['otherFeeder', 'stranger']) {
      const same = answer(await s.fhir(tokens[who], 'POST', '', provide('p1', REPORT)));
      const other = answer(await s.fhir(tokens[who], 'POST', '', provide('p1', `${REPORT} (corrigé)`)));
      const elsewhere = answer(await s.fhir(tokens[who], 'POST', '', provide('p2', REPORT)));
      expect(same.status).toBe(409);
      expect(same.body.issue[0].diagnostics).toBe(`Document urn:oid:1.2.250.1.999.77.1 is already in the DMP: a document id is filed once (send a replacement, relatesTo replaces, to change it)`);
      expect([other, elsewhere]).toEqual([same, same]);
      for (const location of filed) expect(JSON.stringify(same.body)).not.toContain(location.split('/').pop() as string);
    }
    expect([await documentsOf('p1'), await documentsOf('p2')]).toEqual(before);
  });
});

describe('a CDA $import of a document id already imported', () => {
  beforeAll(async () => {
    const res = await importCda(tokens.feeder, LAB_REPORT);
    expect([res.status, res.status === 201 ? '' : JSON.stringify(res.body)]).toEqual([201, '']);
  });

  test('is answered to the feeder that imported it (200), and other bytes under its id are told apart (409)', async () => {
    expect((await importCda(tokens.feeder, LAB_REPORT)).status).toBe(200);
    const changed = await importCda(tokens.feeder, LAB_REPORT_CHANGED);
    expect(changed.status).toBe(409);
    expect(changed.body.issue[0].diagnostics).toMatch(/other content/);
  });

  test('answers another feeder one 409 for the same and for other bytes, without the filed bytes\' SHA-1', async () => {
    const same = answer(await importCda(tokens.otherFeeder, LAB_REPORT));
    const other = answer(await importCda(tokens.otherFeeder, LAB_REPORT_CHANGED));
    expect(same.status).toBe(409);
    expect(same.body.issue[0].diagnostics).toBe('Document urn:oid:1.2.250.1.999.1.1.7.1 is already in the DMP: a document id is filed once (send a replacement, relatesTo replaces, to change it)');
    expect(other).toEqual(same);
    expect(JSON.stringify(same.body)).not.toContain(createHash('sha1').update(LAB_REPORT).digest('hex'));
  });
});
