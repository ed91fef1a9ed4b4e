import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCda, planCdaImport } from '../../../src/cda';
import { FhirError } from '../../../src/fhir/errors';

const FIXTURE = readFileSync(join(__dirname, '../../../fixtures/cda/lab-report-two-results.xml'));

/** The FhirError a parse throws (fails the test when nothing is thrown). */
function errorOf(input: Buffer | string, options?: { maxBytes?: number; maxDepth?: number }): FhirError {
  try {
    parseCda(typeof input === 'string' ? Buffer.from(input, 'utf8') : input, options);
  } catch (err) {
    expect(err).toBeInstanceOf(FhirError);
    return err as FhirError;
  }
  throw new Error('expected parseCda to throw');
}

const CDA_OPEN = '<ClinicalDocument xmlns="urn:hl7-org:v3">';

describe('hostile and malformed CDA input', () => {
  it('rejects an external entity (XXE) with 400 before any parsing', () => {
    const xxe = `<?xml version="1.0"?>\n<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n${CDA_OPEN}<title>&xxe;</title></ClinicalDocument>`;
    const error = errorOf(xxe);
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/DOCTYPE/);
    expect(error.message).toMatch(/line 2, column 1/);
  });

  it('rejects a billion-laughs entity bomb with 400', () => {
    const lol = Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i};`.repeat(10)}">`).join('');
    const bomb = `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol0 "lol">${lol}]>${CDA_OPEN}<title>&lol9;</title></ClinicalDocument>`;
    expect(errorOf(bomb).status).toBe(400);
  });

  it('rejects any DOCTYPE, even one without entities, with 400', () => {
    expect(errorOf(`<!DOCTYPE ClinicalDocument>${CDA_OPEN}</ClinicalDocument>`).status).toBe(400);
  });

  it('rejects a document over the size limit with 413 without reading it', () => {
    const big = Buffer.alloc(20 * 1024 * 1024 + 1, 0x20);
    FIXTURE.copy(big);
    const error = errorOf(big);
    expect(error.status).toBe(413);
    expect(errorOf(FIXTURE, { maxBytes: 1000 }).status).toBe(413);
  });

  it('rejects 10,000 levels of nesting with 400', () => {
    const deep = `${CDA_OPEN}${'<component>'.repeat(10_000)}${'</component>'.repeat(10_000)}</ClinicalDocument>`;
    const error = errorOf(deep);
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/deeper than 100/);
  });

  it('rejects a truncated document with 400 naming the line and column', () => {
    const truncated = FIXTURE.subarray(0, Math.floor(FIXTURE.length / 2));
    const error = errorOf(truncated);
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/not well-formed XML at line \d+, column \d+/);
  });

  it('rejects mismatched tags with the position of the error', () => {
    const error = errorOf(`${CDA_OPEN}\n  <title>x</code>\n</ClinicalDocument>`);
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/line 2/);
  });

  it('rejects a ClinicalDocument in the wrong namespace with 422', () => {
    const wrong = FIXTURE.toString('utf8').replace('xmlns="urn:hl7-org:v3"', 'xmlns="urn:example:not-cda"');
    const error = errorOf(wrong);
    expect(error.status).toBe(422);
    expect(error.message).toMatch(/urn:hl7-org:v3/);
  });

  it('rejects a ClinicalDocument without any namespace with 422', () => {
    expect(errorOf('<ClinicalDocument><title>x</title></ClinicalDocument>').status).toBe(422);
  });

  it('rejects a root that is not a ClinicalDocument with 422', () => {
    expect(errorOf('<Patient xmlns="http://hl7.org/fhir"><id value="x"/></Patient>').status).toBe(422);
  });

  it('rejects UTF-16 with 400, with or without a byte order mark', () => {
    const text = FIXTURE.toString('utf8').replace('encoding="UTF-8"', 'encoding="UTF-16"');
    const withBom = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    expect(errorOf(withBom).status).toBe(400);
    expect(errorOf(Buffer.from(text, 'utf16le')).status).toBe(400);
    expect(errorOf(withBom).message).toMatch(/UTF-16/);
  });

  it('rejects empty input and plain text with 400', () => {
    expect(errorOf(Buffer.alloc(0)).status).toBe(400);
    expect(errorOf('this is not xml').status).toBe(400);
  });

  it('rejects a document whose patient has no usable identifier with 422', () => {
    const anonymous = FIXTURE.toString('utf8')
      .replace('<id root="1.2.250.1.213.1.4.10" extension="279035121518989"/>', '<id nullFlavor="UNK"/>')
      .replace('<id root="1.2.250.1.999.2" extension="IPP-0042"/>', '');
    try {
      planCdaImport(Buffer.from(anonymous));
      throw new Error('expected a 422');
    } catch (err) {
      expect((err as FhirError).status).toBe(422);
      expect((err as FhirError).message).toMatch(/patient identifier/);
    }
  });
});

describe('large payloads', () => {
  it('parses a 20 MB base64 PDF in nonXMLBody with bounded memory and decodes it to bytes', () => {
    const pdf = Buffer.alloc(14 * 1024 * 1024 + 777, 7);
    pdf.write('%PDF-1.7\n');
    const base64 = pdf.toString('base64').replace(/(.{76})/g, '$1\r\n');
    const xml = FIXTURE.toString('utf8').replace(
      /<component>\s*<structuredBody>[\s\S]*<\/structuredBody>\s*<\/component>/,
      `<component><nonXMLBody><text mediaType="application/pdf" representation="B64">${base64}</text></nonXMLBody></component>`,
    );
    const bytes = Buffer.from(xml);
    expect(bytes.length).toBeGreaterThan(19 * 1024 * 1024);
    expect(bytes.length).toBeLessThan(20 * 1024 * 1024);
    const before = process.memoryUsage();
    const started = Date.now();
    const doc = parseCda(bytes);
    const after = process.memoryUsage();
    const payload = doc.root.children.find((c) => c.name === 'component')?.children[0]?.children[0]?.payload;
    expect(payload?.equals(pdf)).toBe(true);
    expect((after.heapUsed - before.heapUsed) / 1024 / 1024).toBeLessThan(200);
    expect((after.rss - before.rss) / 1024 / 1024).toBeLessThan(300);
    expect(Date.now() - started).toBeLessThan(10_000);

    const plan = planCdaImport(bytes);
    const binaries = plan.bundle.entry?.filter((e) => e.resource?.resourceType === 'Binary') ?? [];
    expect(binaries).toHaveLength(2);
    const pdfBinary = binaries.find((b) => (b.resource as { contentType?: string }).contentType === 'application/pdf');
    expect(Buffer.from((pdfBinary?.resource as { data: string }).data, 'base64').equals(pdf)).toBe(true);
  });
});
