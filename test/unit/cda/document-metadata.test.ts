import type { DocumentReference, ImagingStudy } from '@medplum/fhirtypes';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { planCdaImport } from '../../../src/cda';
import { documentKindOf } from '../../../src/cda/document-kinds';
import { resourcesOf } from './summarize-plan';

describe('DocumentReference metadata from the DMP value sets', () => {
  it.each([
    ['a CSE-CS8 child-health certificate', ['1.2.250.1.213.1.1.1.5', '1.2.250.1.213.1.1.1.5.1'], 'CERT_DECL', 'urn:asip:ci-sis:cse-cs8:2017', '52'],
    ['a CSE-CS9 certificate', ['1.2.250.1.213.1.1.1.5', '1.2.250.1.213.1.1.1.5.2'], 'CERT_DECL', 'urn:asip:ci-sis:cse-cs9:2017', '52'],
    ['a CSE-CS24 certificate', ['1.2.250.1.213.1.1.1.5', '1.2.250.1.213.1.1.1.5.3'], 'CERT_DECL', 'urn:asip:ci-sis:cse-cs24:2017', '52'],
    ['an eDISP dispensation', ['1.3.6.1.4.1.19376.1.9.1.1.3'], '60593-1', 'urn:ihe:pharm:dis:2010', '43'],
    ['a dispensation without its model templateId', [], '60593-1', 'urn:ihe:pharm:dis:2010', '43'],
    ['a CR-BIO lab report', ['1.2.250.1.213.1.1.1.55'], '11502-2', 'urn:ihe:lab:xd-lab:2008', '10'],
  ])('gives %s its JDV_J60 format code and TRE_A03 class', (_name, templateIds, type, format, classCode) => {
    expect(documentKindOf(templateIds, undefined, type)).toMatchObject({ format, classCode });
  });

  // Facts read from fixtures/cda/cr-img-pdf-level1.xml: a PDF imaging report with two studies, an order and an accession.
  describe('a level-1 (PDF) imaging report', () => {
    const { bundle } = planCdaImport(readFileSync(join(__dirname, '../../../fixtures/cda/cr-img-pdf-level1.xml')));
    const [dr] = resourcesOf<DocumentReference>(bundle, 'DocumentReference');

    it('keeps its Study Instance UIDs as ImagingStudy identifiers and in context.related', () => {
      const studies = resourcesOf<ImagingStudy>(bundle, 'ImagingStudy');
      expect(studies.map((s) => s.identifier?.[0].value)).toEqual(['urn:oid:1.2.250.1.999.7.1.1', 'urn:oid:1.2.250.1.999.7.1.2']);
      const related = dr.context?.related?.map((r) => `${r.identifier?.type?.coding?.[0].code} ${r.identifier?.system}|${r.identifier?.value}`);
      expect(related).toEqual([
        'urn:ihe:iti:xds:2016:studyInstanceUID urn:dicom:uid|urn:oid:1.2.250.1.999.7.1.1',
        'urn:ihe:iti:xds:2016:studyInstanceUID urn:dicom:uid|urn:oid:1.2.250.1.999.7.1.2',
        'urn:ihe:iti:xds:2013:order urn:oid:1.2.250.1.999.7.2|CMD-42',
        'urn:ihe:iti:xds:2013:accession urn:oid:1.2.250.1.999.7.3|ACC-0042',
      ]);
    });

    it('has the XDS-SD PDF format and no DiagnosticReport invented from a body it does not have', () => {
      expect(dr.content[0].format?.code).toBe('urn:ihe:iti:xds-sd:pdf:2008');
      expect(resourcesOf(bundle, 'DiagnosticReport')).toHaveLength(0);
    });
  });
});
