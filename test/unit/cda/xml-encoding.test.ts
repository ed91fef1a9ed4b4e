import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DocumentReference } from '@medplum/fhirtypes';
import { parseCda, planCdaImport } from '../../../src/cda';
import { all, at, attr } from '../../../src/cda/cda-node';
import { resourcesOf } from './summarize-plan';

const FIXTURE = readFileSync(join(__dirname, '../../../fixtures/cda/lab-report-two-results.xml'), 'utf8');

describe('XML details that must survive parsing', () => {
  it('keeps namespaced extension elements apart from core elements of the same local name', () => {
    const xml = FIXTURE.replace(
      '<id root="1.2.250.1.999.2" extension="IPP-0042"/>',
      '<id root="1.2.250.1.999.2" extension="IPP-0042"/><sdtc:id xmlns:sdtc="urn:hl7-org:sdtc" root="9.9.9" extension="SDTC"/>',
    ).replace('<statusCode code="completed"/>', '<statusCode code="completed"/><lab:statusCode code="aborted"/>');
    const doc = parseCda(Buffer.from(xml)).root;
    const role = at(doc, 'recordTarget/patientRole');
    expect(all(role, 'id').map((i) => attr(i, 'root'))).toEqual(['1.2.250.1.213.1.4.10', '1.2.250.1.999.2']);
    expect(attr(at(role, 'sdtc:id'), 'extension')).toBe('SDTC');
    expect(JSON.stringify(planCdaImport(Buffer.from(xml)).patientIdentifiers)).not.toContain('SDTC');
  });

  it('reads a CDA whose elements carry a prefix bound to urn:hl7-org:v3, xsi:type included', () => {
    const prefixed = FIXTURE.replace(/<(\/?)(?!\?|!)([A-Za-z])/g, '<$1c:$2')
      .replace('xmlns="urn:hl7-org:v3"', 'xmlns:c="urn:hl7-org:v3"')
      .replace(/xsi:type="(PQ|IVL_PQ)"/g, 'xsi:type="c:$1"');
    const plan = planCdaImport(Buffer.from(prefixed));
    const values = plan.bundle.entry?.filter((e) => e.resource?.resourceType === 'Observation').map((e) => (e.resource as { valueQuantity?: { value: number } }).valueQuantity?.value);
    expect(values).toEqual([5.2, 5.9]);
  });

  it('accepts a UTF-8 byte order mark and CRLF line ends and hashes the bytes as received', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(FIXTURE.replace(/\n/g, '\r\n'))]);
    const plan = planCdaImport(bytes);
    const dr = resourcesOf<DocumentReference>(plan.bundle, 'DocumentReference')[0];
    expect(dr.content[0].attachment.size).toBe(bytes.length);
    const binary = plan.bundle.entry?.find((e) => e.fullUrl === dr.content[0].attachment.url)?.resource as { data: string };
    expect(Buffer.from(binary.data, 'base64').subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(Buffer.from(binary.data, 'base64').equals(bytes)).toBe(true);
  });

  it('finds the CDA inside an XSL stylesheet wrapper', () => {
    const body = FIXTURE.replace(/^<\?xml[^>]*>/, '').replace('xmlns="urn:hl7-org:v3"', '');
    const wrapped =
      '<?xml version="1.0" encoding="UTF-8"?><xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" ' +
      'xmlns="urn:hl7-org:v3" xmlns:data="urn:asip-sante:ci-sis"><data:Contenu>' + body + '</data:Contenu>' +
      '<xsl:template match="/"><ClinicalDocument/></xsl:template></xsl:stylesheet>';
    const doc = parseCda(Buffer.from(wrapped));
    expect(doc.wrapped).toBe(true);
    expect(attr(at(doc.root, 'id'), 'root')).toBe('1.2.250.1.999.1.1.7.1');
  });

  it('accepts an ISO-8859-1 document that declares its encoding', () => {
    const latin = FIXTURE.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"');
    const doc = parseCda(Buffer.from(latin, 'latin1'));
    expect(attr(at(doc.root, 'author/assignedAuthor/code'), 'displayName')).toBe('Médecin - Biologie médicale (SM)');
  });
});
