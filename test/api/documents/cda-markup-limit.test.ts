import request from 'supertest';
import type { TestApp } from '../../support/test-app';
import { CDA_CHANNELS } from './cda-channels';
import { createDocumentsApp, createFrenchTestPatient, fixture, importCda } from './documents-app';

// Issue 14, hostile CDA documents of 12-15 MB: under the 20 MB size limit, 2.9 million empty elements (`<br/>`) took
// the parsing thread to 864 MB and the server to 1.18 GB, for ~10 s: the parsed tree costs ~270 bytes per element,
// whatever the document weighs in bytes. A document holding more than 250,000 tags and attributes (its '<' and '='
// characters, counted on the bytes before any parsing) is refused with 413 too-costly. A lab report of 900 results
// (about 22,000 of them; the largest public French example has 9,171) still imports: the resources one document may
// give are bounded by MAX_BUNDLE_ENTRIES, as a transaction's are.

const LAB = fixture('cda/lab-report-two-results.xml').toString('utf8');
const ENTRY = /<entry typeCode="DRIV">[\s\S]*<\/entry>/;

/** The two-result lab report with another document id and `body` in place of its entry. */
function labReport(docSuffix: string, body: string): Buffer {
  return Buffer.from(LAB.replace(ENTRY, body).replace('<id root="1.2.250.1.999.1.1.7.1"/>', `<id root="1.2.250.1.999.1.1.7.${docSuffix}"/>`));
}

/** One potassium result of the lab report's battery, with an id of its own. */
const result = (i: number): string =>
  `<entryRelationship typeCode="COMP"><observation classCode="OBS" moodCode="EVN"><templateId root="1.3.6.1.4.1.19376.1.3.1.6"/>` +
  `<id root="1.2.250.1.999.1.1.7.300" extension="r${i}"/><code code="2823-3" displayName="Potassium" codeSystem="2.16.840.1.113883.6.1"/>` +
  `<statusCode code="completed"/><effectiveTime value="20240115080000+0100"/><value xsi:type="PQ" value="4.${i % 10}" unit="mmol/L"/></observation></entryRelationship>`;
const battery = (n: number): string =>
  `<entry typeCode="DRIV"><templateId root="1.3.6.1.4.1.19376.1.3.1"/><act classCode="ACT" moodCode="EVN"><code code="18719-5" codeSystem="2.16.840.1.113883.6.1"/><statusCode code="completed"/>${Array.from({ length: n }, (_, i) => result(i)).join('')}</act></entry>`;

describe('a CDA document of more tags and attributes than a document needs', () => {
  let app: TestApp;
  let patient: string;
  beforeAll(async () => {
    app = await createDocumentsApp();
    patient = await createFrenchTestPatient(app);
  });
  afterAll(() => app.close());

  it('is refused with 413 too-costly before it is parsed, without growing the server by hundreds of MB', async () => {
    const peakBefore = process.resourceUsage().maxRSS;
    const hostile = labReport('301', `<text>${'<br/>'.repeat(3_000_000)}</text>`);
    expect(hostile.length).toBeGreaterThan(14 * 1024 * 1024);
    const started = Date.now();
    const res = await importCda(app, hostile);
    expect(res.status).toBe(413);
    expect(res.body.issue[0].code).toBe('too-costly');
    expect(res.body.issue[0].diagnostics).toMatch(/250000 tags and attributes/);
    expect(Date.now() - started).toBeLessThan(5000);
    // Parsed, it grew this process by ~770 MB; the request body itself is 14 MB (and its copy by the test client).
    expect((process.resourceUsage().maxRSS - peakBefore) / 1024).toBeLessThan(200);
  });

  it('is refused with the same 413 inside an ITI-65 bundle and an ITI-105 publish, before it is parsed', async () => {
    const hostile = labReport('304', `<text>${'<br/>'.repeat(3_000_000)}</text>`);
    const peakBefore = process.resourceUsage().maxRSS;
    for (const { name, send } of CDA_CHANNELS.filter((c) => c.name !== '$import')) {
      const res = await send(app.app, hostile, patient);
      expect([name, res.status, res.body.issue[0].code]).toEqual([name, 413, 'too-costly']);
      expect(res.body.issue[0].diagnostics).toMatch(/250000 tags and attributes/);
    }
    // Each request holds the document three times or so (its JSON, base64 and bytes), never its tree.
    expect((process.resourceUsage().maxRSS - peakBefore) / 1024).toBeLessThan(300);
  });

  it('counts attributes as well as tags', async () => {
    const attributes = Array.from({ length: 250_001 }, (_, i) => ` a${i}=""`).join('');
    const res = await importCda(app, labReport('302', `<text><content${attributes}/></text>`));
    expect(res.status).toBe(413);
    expect(res.body.issue[0].code).toBe('too-costly');
  });

  it('still imports a lab report of 900 results, each an Observation', async () => {
    const res = await importCda(app, labReport('303', battery(900)));
    expect(res.status).toBe(201);
    const observations = await request(app.app).get('/fhir/Observation').query({ code: 'http://loinc.org|2823-3', _summary: 'count' });
    expect(observations.body.total).toBe(900);
  });
});
