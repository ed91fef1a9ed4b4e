import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DiagnosticReport, DocumentReference, Observation, Practitioner } from '@medplum/fhirtypes';
import { planCdaImport } from '../../../src/cda';
import { CDA_ENTRY_SYSTEM } from '../../../src/cda/code-systems';
import { resourcesOf } from './summarize-plan';

const fixture = (name: string): Buffer => readFileSync(join(__dirname, '../../../fixtures/cda', name));

describe('our own lab report fixture (fixtures/cda/lab-report-two-results.xml)', () => {
  const plan = planCdaImport(fixture('lab-report-two-results.xml'));
  const observations = resourcesOf<Observation>(plan.bundle, 'Observation');

  it('names the document and the patient for the core: masterIdentifier and INS first', () => {
    expect(plan.documentId).toEqual({ system: 'urn:ietf:rfc:3986', value: 'urn:oid:1.2.250.1.999.1.1.7.1' });
    expect(plan.patientIdentifiers).toEqual([
      { system: 'urn:oid:1.2.250.1.213.1.4.10', value: '279035121518989' },
      { system: 'urn:oid:1.2.250.1.999.2', value: 'IPP-0042' },
    ]);
  });

  it('maps the two results with LOINC code, UCUM quantity, interpretation and reference range', () => {
    expect(observations).toHaveLength(2);
    const potassium = observations.find((o) => o.code.coding?.[0].code === '2823-3');
    expect(potassium?.code.coding?.[0].system).toBe('http://loinc.org');
    expect(potassium?.valueQuantity).toEqual({ value: 5.9, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' });
    expect(potassium?.interpretation?.[0].coding?.[0].code).toBe('H');
    expect(potassium?.referenceRange?.[0].low?.value).toBe(3.5);
    expect(potassium?.referenceRange?.[0].high?.value).toBe(5.1);
    expect(potassium?.effectiveDateTime).toBe('2024-01-15T08:00:00+01:00');
    expect(potassium?.status).toBe('final');
  });

  it('gives each result a stable identifier made of the document id and the entry id', () => {
    const glucose = observations.find((o) => o.code.coding?.[0].code === '14749-6');
    expect(glucose?.identifier).toContainEqual({
      system: CDA_ENTRY_SYSTEM,
      value: 'urn:oid:1.2.250.1.999.1.1.7.1#urn:oid:1.2.250.1.999.1.1.7.100|glucose',
    });
    expect(glucose?.identifier).toContainEqual({ system: 'urn:oid:1.2.250.1.999.1.1.7.100', value: 'glucose' });
  });

  it('lists both results in one laboratory DiagnosticReport', () => {
    const reports = resourcesOf<DiagnosticReport>(plan.bundle, 'DiagnosticReport');
    expect(reports).toHaveLength(1);
    expect(reports[0].category?.[0].coding?.[0].code).toBe('LAB');
    expect(reports[0].result).toHaveLength(2);
  });

  it('creates the author once although he is author, authenticator and performer', () => {
    const practitioners = plan.bundle.entry?.filter((e) => e.resource?.resourceType === 'Practitioner') ?? [];
    expect(practitioners).toHaveLength(1);
    expect(practitioners[0].request?.ifNoneExist).toBe('identifier=urn:oid:1.2.250.1.71.4.2.1|801234534765');
    expect((practitioners[0].resource as Practitioner).name?.[0].family).toBe('CAMPARINI');
    const organizations = plan.bundle.entry?.filter((e) => e.resource?.resourceType === 'Organization') ?? [];
    expect(organizations).toHaveLength(1);
    expect(organizations[0].request?.ifNoneExist).toBe('identifier=urn:oid:1.2.250.1.71.4.2.2|1120459876');
  });

  it('fills the MHD metadata of the DocumentReference', () => {
    const dr = resourcesOf<DocumentReference>(plan.bundle, 'DocumentReference')[0];
    expect(dr.type?.coding?.[0]).toMatchObject({ system: 'http://loinc.org', code: '11502-2' });
    expect(dr.category?.[0].coding?.[0]).toMatchObject({ system: 'urn:oid:1.2.250.1.213.1.1.4.1', code: '10' });
    expect(dr.content[0].format?.code).toBe('urn:ihe:lab:xd-lab:2008');
    expect(dr.date).toBe('2024-01-15T10:15:00+01:00');
    expect(dr.securityLabel?.[0].coding?.[0]).toMatchObject({ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N' });
    expect(dr.context?.period).toEqual({ start: '2024-01-15T08:00:00+01:00', end: '2024-01-15T10:00:00+01:00' });
    expect(dr.context?.facilityType?.coding?.[0].code).toBe('SA25');
    expect(dr.context?.practiceSetting?.coding?.[0].code).toBe('AMBULATOIRE');
    expect(dr.content[0].attachment).toMatchObject({ contentType: 'text/xml', language: 'fr-FR', title: 'Compte rendu de biologie (test)' });
    const source = dr.contained?.find((c) => c.resourceType === 'Patient');
    expect(source).toMatchObject({ gender: 'female', birthDate: '1979-03-28', name: [{ use: 'official', family: 'PAT-TROIS', given: ['DOMINIQUE MARIE-LOUISE'] }] });
    expect(dr.relatesTo).toBeUndefined();
  });

  it('produces the same bundle for the same bytes (idempotent fullUrls)', () => {
    expect(planCdaImport(fixture('lab-report-two-results.xml')).bundle).toEqual(plan.bundle);
  });
});

describe('a replacement version (fixtures/cda/lab-report-two-results-v2.xml)', () => {
  const v2 = planCdaImport(fixture('lab-report-two-results-v2.xml'));
  const dr = resourcesOf<DocumentReference>(v2.bundle, 'DocumentReference')[0];

  it('replaces the first version through a conditional reference to its id', () => {
    expect(dr.relatesTo).toEqual([
      {
        code: 'replaces',
        target: {
          reference: 'DocumentReference?identifier=urn:ietf:rfc:3986|urn:oid:1.2.250.1.999.1.1.7.1',
          identifier: { system: 'urn:ietf:rfc:3986', value: 'urn:oid:1.2.250.1.999.1.1.7.1' },
        },
      },
    ]);
  });

  it('keeps the setId and version number so versions chain even without relatedDocument', () => {
    expect(dr.extension).toEqual([
      { url: 'https://dmp-fhir-adapter.org/fhir/StructureDefinition/cda-set-id', valueIdentifier: { system: 'urn:ietf:rfc:3986', value: 'urn:oid:1.2.250.1.999.1.1.7' } },
      { url: 'https://dmp-fhir-adapter.org/fhir/StructureDefinition/cda-version-number', valueInteger: 2 },
    ]);
  });

  it('carries the corrected value under a new document-scoped identifier', () => {
    const potassium = resourcesOf<Observation>(v2.bundle, 'Observation').find((o) => o.code.coding?.[0].code === '2823-3');
    expect(potassium?.valueQuantity?.value).toBe(4.6);
    expect(potassium?.identifier?.[0].value).toBe('urn:oid:1.2.250.1.999.1.1.7.2#urn:oid:1.2.250.1.999.1.1.7.100|potassium');
  });
});
