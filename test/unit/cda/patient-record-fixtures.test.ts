import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type {
  AllergyIntolerance, Binary, Condition, DiagnosticReport, DocumentReference, ImagingStudy, Immunization, MedicationStatement, Observation, Specimen,
} from '@medplum/fhirtypes';
import { planCdaImport } from '../../../src/cda';
import { resourcesOf } from './summarize-plan';

// Hélène MARCHAL's record: four documents written by hand for these tests (fixtures/cda), the facts below read from
// their XML. They stand in for the public examples, which only `npm run test:examples` reads.

const plan = (name: string) => planCdaImport(readFileSync(join(__dirname, '../../../fixtures/cda', name)));
const INS = { system: 'urn:oid:1.2.250.1.213.1.4.10', value: '286063306312356' };
const codeOf = (c?: { coding?: { system?: string; code?: string }[] }) => `${c?.coding?.[0].system}|${c?.coding?.[0].code}`;

describe('lab report with a thyroid panel (cr-bio-thyroid-panel.xml)', () => {
  const { bundle, patientIdentifiers } = plan('cr-bio-thyroid-panel.xml');
  const observations = resourcesOf<Observation>(bundle, 'Observation');
  const byCode = (code: string) => observations.find((o) => o.code.coding?.[0].code === code) as Observation;

  it('names the patient by her test INS first, then the laboratory IPP', () => {
    expect(patientIdentifiers).toEqual([INS, { system: 'urn:oid:1.2.250.1.999.3', value: 'IPP-7731' }]);
  });

  it('maps the panel as a battery whose members are TSH (high) and free T4 (normal)', () => {
    expect(observations).toHaveLength(3);
    const panel = byCode('24348-5');
    const tsh = byCode('3016-3');
    const t4 = byCode('14920-3');
    expect(panel.hasMember?.length).toBe(2);
    expect(tsh.valueQuantity).toEqual({ value: 6.8, unit: 'm[IU]/L', system: 'http://unitsofmeasure.org', code: 'm[IU]/L' });
    expect(tsh.interpretation?.[0].coding?.[0].code).toBe('H');
    expect(tsh.referenceRange?.[0]).toMatchObject({ low: { value: 0.4 }, high: { value: 4 } });
    expect(tsh.method?.coding?.[0].code).toBe('ECLIA');
    expect(t4.valueQuantity).toMatchObject({ value: 11.2, code: 'pmol/L' });
    expect(t4.interpretation?.[0].coding?.[0].code).toBe('N');
    for (const o of [tsh, t4]) expect(o.effectiveDateTime).toBe('2025-03-10T08:10:00+01:00');
  });

  it('links every result to the one serum specimen collected at 08:10', () => {
    const [specimen] = resourcesOf<Specimen>(bundle, 'Specimen');
    expect(specimen.type?.coding?.[0]).toMatchObject({ code: 'SER', display: 'Sérum' });
    expect(specimen.collection?.collectedDateTime).toBe('2025-03-10T08:10:00+01:00');
    const specimenUrl = bundle.entry?.find((e) => e.resource === specimen)?.fullUrl;
    for (const o of observations) expect(o.specimen?.reference).toBe(specimenUrl);
  });

  it('lists the panel in one laboratory DiagnosticReport', () => {
    const reports = resourcesOf<DiagnosticReport>(bundle, 'DiagnosticReport');
    expect(reports).toHaveLength(1);
    expect(reports[0].category?.[0].coding?.[0].code).toBe('LAB');
    expect(reports[0].result).toHaveLength(1);
  });

  it('creates the biologist and her laboratory once, keyed by their national identifiers', () => {
    const conditional = (type: string) => bundle.entry?.filter((e) => e.resource?.resourceType === type).map((e) => e.request?.ifNoneExist);
    expect(conditional('Practitioner')).toEqual(['identifier=urn:oid:1.2.250.1.71.4.2.1|810100234565']);
    expect(conditional('Organization')).toEqual(['identifier=urn:oid:1.2.250.1.71.4.2.2|1330012345']);
  });
});

describe('chest X-ray report (cr-img-thorax.xml)', () => {
  const { bundle } = plan('cr-img-thorax.xml');

  it('extracts the study it reports on as the document\'s own, named by its Study Instance UID', () => {
    const studies = resourcesOf<ImagingStudy>(bundle, 'ImagingStudy');
    expect(studies).toHaveLength(1);
    const [study] = studies;
    expect(study.identifier?.[0]).toEqual({ system: 'urn:dicom:uid', value: 'urn:oid:1.2.250.1.999.6.2025.220.1' });
    expect(study.extension?.[0].valueReference?.reference).toBe(resourcesOf(bundle, 'DocumentReference').length ? bundle.entry?.find((e) => e.resource?.resourceType === 'DocumentReference')?.fullUrl : 'none');
    expect(bundle.entry?.find((e) => e.resource === study)?.request?.ifNoneExist).toBeUndefined();
    expect(study.procedureCode?.[0].coding?.[0].code).toBe('ZBQK002');
    expect(study.started).toBe('2025-02-20T10:15:00+01:00');
  });

  it('maps the report to a radiology DiagnosticReport with the conclusion section as conclusion', () => {
    const [report] = resourcesOf<DiagnosticReport>(bundle, 'DiagnosticReport');
    expect(report.category?.[0].coding?.[0].code).toBe('RAD');
    expect(report.conclusion).toBe('Radiographie thoracique sans anomalie.');
    expect(report.imagingStudy).toHaveLength(1);
    const dr = resourcesOf<DocumentReference>(bundle, 'DocumentReference')[0];
    expect(dr.content[0].format?.code).toBe('urn:ihe:rad:CDA:ImagingReportStructuredHeadings:2013');
  });
});

describe('medical summary (vsm-synthese-medicale.xml)', () => {
  const { bundle } = plan('vsm-synthese-medicale.xml');

  it('maps the problem to an active Condition coded in ICD-10', () => {
    const [condition] = resourcesOf<Condition>(bundle, 'Condition');
    expect(codeOf(condition.code)).toBe('http://hl7.org/fhir/sid/icd-10|E03.9');
    expect(condition.clinicalStatus?.coding?.[0].code).toBe('active');
    expect(condition.onsetDateTime).toBe('2025-03-10');
  });

  it('maps the penicillin allergy with its urticaria, and the negated iodine allergy as refuted', () => {
    const [penicillin, iodine] = resourcesOf<AllergyIntolerance>(bundle, 'AllergyIntolerance');
    expect(codeOf(penicillin.code)).toBe('http://www.whocc.no/atc|J01CE');
    expect(penicillin.verificationStatus?.coding?.[0].code).toBe('confirmed');
    expect(penicillin.reaction?.[0].manifestation[0].coding?.[0].code).toBe('126485001');
    expect(iodine.verificationStatus?.coding?.[0].code).toBe('refuted');
    expect(iodine.clinicalStatus).toBeUndefined();
  });

  it('maps the treatment with its product, start date and daily dose', () => {
    const [treatment] = resourcesOf<MedicationStatement>(bundle, 'MedicationStatement');
    expect(treatment.status).toBe('active');
    expect(codeOf(treatment.medicationCodeableConcept)).toBe('http://www.whocc.no/atc|H03AA01');
    expect(treatment.effectivePeriod).toEqual({ start: '2025-03-20' });
    expect(treatment.dosage?.[0].timing?.repeat).toEqual({ frequency: 1, period: 1, periodUnit: 'd' });
  });

  it('maps the vaccination with its date, lot number and the physician who gave it', () => {
    const [vaccination] = resourcesOf<Immunization>(bundle, 'Immunization');
    expect(codeOf(vaccination.vaccineCode)).toBe('http://www.whocc.no/atc|J07CA01');
    expect(vaccination.occurrenceDateTime).toBe('2025-04-02T15:45:00+02:00');
    expect(vaccination.lotNumber).toBe('TST-2504-A');
    expect(vaccination.doseQuantity).toMatchObject({ value: 0.5, code: 'mL' });
    expect(vaccination.performer?.[0].actor.display).toBe('Paul ROCHER-ESSAI');
  });
});

describe('level-1 document wrapping a PDF (cr-bio-pdf-level1.xml)', () => {
  const { bundle } = plan('cr-bio-pdf-level1.xml');

  it('keeps the PDF as its own Binary and a second content entry with the XDS-SD format', () => {
    const dr = resourcesOf<DocumentReference>(bundle, 'DocumentReference')[0];
    const pdf = resourcesOf<Binary>(bundle, 'Binary').find((b) => b.contentType === 'application/pdf') as Binary;
    const bytes = Buffer.from(pdf.data ?? '', 'base64');
    expect(bytes.subarray(0, 8).toString('latin1')).toBe('%PDF-1.4');
    expect(dr.content).toHaveLength(2);
    expect(dr.content.map((c) => c.format?.code)).toEqual(['urn:ihe:iti:xds-sd:pdf:2008', 'urn:ihe:iti:xds-sd:pdf:2008']);
    expect(dr.content[1].attachment).toMatchObject({ contentType: 'application/pdf', size: bytes.length, hash: createHash('sha1').update(bytes).digest('base64') });
  });
});
