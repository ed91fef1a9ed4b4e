import request from 'supertest';
import type { TestApp } from '../../support/test-app';
import { createDocumentsApp, fixture, importCda, createFrenchTestPatient } from './documents-app';

const CDA_OPEN = '<ClinicalDocument xmlns="urn:hl7-org:v3">';
const LAB_V1 = fixture('cda/lab-report-two-results.xml');

/** The diagnostics of an OperationOutcome response. */
function diagnostics(res: request.Response): string {
  return (res.body.issue ?? []).map((i: { diagnostics?: string }) => i.diagnostics).join('; ');
}

/** The two-result lab report with its patient identifiers edited and a document id of its own (`…7.<docSuffix>`). */
function labReportWith(ins: [string, string], ipp: [string, string], docSuffix: string): Buffer {
  return Buffer.from(
    fixture('cda/lab-report-two-results.xml')
      .toString('utf8')
      .replace(ins[0], ins[1])
      .replace(ipp[0], ipp[1])
      .replace('<id root="1.2.250.1.999.1.1.7.1"/>', `<id root="1.2.250.1.999.1.1.7.${docSuffix}"/>`),
  );
}

describe('CDA import errors and hostile input, through HTTP', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createDocumentsApp([], { maxCdaSize: 512 * 1024, maxBodySize: 1024 * 1024 });
    await createFrenchTestPatient(app);
  });
  afterAll(() => app.close());

  it('answers 409 when the same document id comes back with other bytes, and writes nothing', async () => {
    expect((await importCda(app, LAB_V1)).status).toBe(201);
    const altered = Buffer.from(LAB_V1.toString('utf8').replace('</ClinicalDocument>', '<!-- changed --></ClinicalDocument>'));
    const res = await importCda(app, altered);
    expect(res.status).toBe(409);
    expect(res.body.resourceType).toBe('OperationOutcome');
    const docs = await request(app.app).get('/fhir/DocumentReference');
    expect(docs.body.entry).toHaveLength(1);
  });

  it('lets exactly one of two concurrent imports of the same document write it; the other answers 200', async () => {
    const doc = Buffer.from(LAB_V1.toString('utf8').replace('<id root="1.2.250.1.999.1.1.7.1"/>', '<id root="1.2.250.1.999.1.1.7.55"/>'));
    const statuses = (await Promise.all([importCda(app, doc), importCda(app, doc), importCda(app, doc)])).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 201]);
    const docs = await request(app.app).get('/fhir/DocumentReference').query({ identifier: 'urn:ietf:rfc:3986|urn:oid:1.2.250.1.999.1.1.7.55' });
    expect(docs.body.entry).toHaveLength(1);
  });

  it('refuses a media type that is not a CDA one with 415', async () => {
    const res = await request(app.app).post('/fhir/DocumentReference/$import').set('Content-Type', 'application/pdf').send(LAB_V1);
    expect(res.status).toBe(415);
  });

  it('rejects an external entity (XXE) with 400', async () => {
    const res = await importCda(app, Buffer.from(`<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n${CDA_OPEN}<title>&xxe;</title></ClinicalDocument>`));
    expect(res.status).toBe(400);
    expect(diagnostics(res)).toMatch(/DOCTYPE/);
  });

  it('rejects a billion-laughs entity bomb with 400', async () => {
    const lol = Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`).join('');
    const res = await importCda(app, Buffer.from(`<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">${lol}]>${CDA_OPEN}<title>&lol9;</title></ClinicalDocument>`));
    expect(res.status).toBe(400);
  });

  it('rejects a document above the configured CDA size with 413', async () => {
    const big = Buffer.alloc(600 * 1024, 0x20);
    LAB_V1.copy(big);
    const res = await importCda(app, big);
    expect(res.status).toBe(413);
  });

  it('rejects a body above the server-wide limit with 413 before reading it', async () => {
    const res = await importCda(app, Buffer.alloc(1024 * 1024 + 1, 0x20));
    expect(res.status).toBe(413);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });

  it('rejects 10,000 levels of nesting with 400', async () => {
    const res = await importCda(app, Buffer.from(`${CDA_OPEN}${'<component>'.repeat(10_000)}${'</component>'.repeat(10_000)}</ClinicalDocument>`));
    expect(res.status).toBe(400);
  });

  it('rejects a truncated document with 400 naming line and column', async () => {
    const res = await importCda(app, LAB_V1.subarray(0, Math.floor(LAB_V1.length / 2)));
    expect(res.status).toBe(400);
    expect(diagnostics(res)).toMatch(/line \d+, column \d+/);
  });

  it('rejects a document in the wrong namespace with 422', async () => {
    const res = await importCda(app, Buffer.from('<?xml version="1.0"?><ClinicalDocument xmlns="urn:hl7-org:hipp"><id root="1.2.3"/></ClinicalDocument>'));
    expect(res.status).toBe(422);
  });

  it('rejects UTF-16 with 400', async () => {
    const res = await importCda(app, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`<?xml version="1.0" encoding="UTF-16"?>${CDA_OPEN}</ClinicalDocument>`, 'utf16le')]));
    expect(res.status).toBe(400);
  });

  it('answers 422 naming the identifier when the patient is unknown and the document carries no INS', async () => {
    const noIns = labReportWith(['<id root="1.2.250.1.213.1.4.10" extension="279035121518989"/>', ''], ['extension="IPP-0042"', 'extension="IPP-UNKNOWN"'], '99');
    const res = await importCda(app, noIns);
    expect(res.status).toBe(422);
    expect(diagnostics(res)).toContain('urn:oid:1.2.250.1.999.2|IPP-UNKNOWN');
  });

  it('refuses with 422 naming the INS a document whose patient has no open record, and writes nothing', async () => {
    const otherPatient = labReportWith(['extension="279035121518989"', 'extension="180012B01234593"'], ['extension="IPP-0042"', 'extension="IPP-NEW"'], '98');
    const res = await importCda(app, otherPatient);
    expect(res.status).toBe(422);
    expect(diagnostics(res)).toContain('urn:oid:1.2.250.1.213.1.4.10|180012B01234593');
    const patients = await request(app.app).get('/fhir/Patient?identifier=180012B01234593');
    expect(patients.body.total).toBe(0);
  });
});
