import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateLabReports } from '../../../bench/import-corpus';
import { parseCda } from '../../../src/cda';
import { scanPlainXml } from '../../../src/cda/xml-plain-scan';
import { alterations, disagreement, xmlText } from './xml-plain-agreement';

const FIXTURES = join(__dirname, '../../../fixtures/cda');
const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.xml')).sort();

describe('the one-pass XML reader (xml-plain-scan.ts) beside fast-xml-parser', () => {
  it.each(fixtures)('reads %s as the general parser does, or leaves it to it', (file) => {
    expect(disagreement(xmlText(readFileSync(join(FIXTURES, file))))).toBeUndefined();
  });

  it('reads the generated lab reports itself, to the same tree', () => {
    for (const doc of generateLabReports(2, { run: '1', patients: 2 })) {
      const text = xmlText(doc);
      expect(scanPlainXml(text, 100)).toBeDefined();
      expect(disagreement(text)).toBeUndefined();
    }
  });

  it('reads plain fixtures itself (CRLF included) and leaves payloads, entities and CDATA to the general parser', () => {
    const plain = xmlText(readFileSync(join(FIXTURES, 'lab-report-two-results.xml')));
    expect(scanPlainXml(plain, 100)).toBeDefined();
    expect(scanPlainXml(plain.replace(/\n/g, '\r\n'), 100)).toBeDefined();
    expect(scanPlainXml(xmlText(readFileSync(join(FIXTURES, 'cr-bio-pdf-level1.xml'))), 100)).toBeUndefined();
    expect(scanPlainXml(plain.replace('</ClinicalDocument>', '<x>&amp;</x></ClinicalDocument>'), 100)).toBeUndefined();
    expect(scanPlainXml(plain.replace('</ClinicalDocument>', '<x><![CDATA[a]]></x></ClinicalDocument>'), 100)).toBeUndefined();
  });

  it('never accepts an altered document the general parser refuses, nor reads one otherwise', () => {
    // A few small documents of different shapes (CRLF, prefixes, narrative, namespaced extensions), altered many times.
    const sources = ['lab-report-two-results.xml', 'vsm-absences.xml', 'edisp-deux-delivrances.xml', 'cnam-hr-remboursements.xml'].map((f) => xmlText(readFileSync(join(FIXTURES, f))));
    const found: string[] = [];
    let readByPlain = 0;
    for (const [n, source] of sources.entries()) {
      for (const [k, altered] of alterations(source, 60).entries()) {
        if (scanPlainXml(altered, 100)) readByPlain++;
        const problem = disagreement(altered);
        if (problem) found.push(`source ${n}, alteration ${k}: ${problem}`);
      }
    }
    expect(found).toEqual([]);
    expect(readByPlain).toBeGreaterThan(40); // the property was checked on documents the plain reader does read
  });

  it('leaves nesting past the limit to the general parser, which refuses it with its own words', () => {
    const deep = `<ClinicalDocument xmlns="urn:hl7-org:v3">${'<a>'.repeat(120)}${'</a>'.repeat(120)}</ClinicalDocument>`;
    expect(scanPlainXml(deep, 100)).toBeUndefined();
    expect(() => parseCda(Buffer.from(deep))).toThrow(/deeper than 100/);
  });
});
