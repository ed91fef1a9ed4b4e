import type { DocumentReference, Encounter, Immunization, Observation, Procedure } from '@medplum/fhirtypes';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { planCdaImport, UNMAPPED_CONTENT_EXTENSION, unmappedOutcome } from '../../../src/cda';
import { resourcesOf } from './summarize-plan';

// Facts read from fixtures/cda/vsm-sections-cliniques.xml (summary of 10 June 2025): sections that used to be dropped
// with no trace but a count.
describe('nothing clinical is silently lost', () => {
  const plan = planCdaImport(readFileSync(join(__dirname, '../../../fixtures/cda/vsm-sections-cliniques.xml')));
  const observations = resourcesOf<Observation>(plan.bundle, 'Observation');
  const byCode = (code: string) => observations.find((o) => o.code.coding?.[0].code === code) as Observation;
  const category = (o: Observation) => o.category?.[0].coding?.[0].code;

  it('maps each vital sign to a vital-signs Observation with its LOINC code, unit and digits', () => {
    expect(category(byCode('29463-7'))).toBe('vital-signs');
    expect(byCode('29463-7').valueQuantity).toMatchObject({ value: 58, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' });
    // 58.0 and 1.60: the written digits are kept for the served JSON (src/fhir/lexical-decimal.ts).
    expect(JSON.stringify(byCode('29463-7').valueQuantity)).toContain('"58.0"');
    expect(JSON.stringify(byCode('8302-2').valueQuantity)).toContain('"1.60"');
    expect(byCode('8480-6').valueQuantity).toMatchObject({ value: 128, code: 'mm[Hg]' });
    expect(byCode('8480-6').effectiveDateTime).toBe('2025-06-09T10:15:00+02:00');
  });

  it('dates a vital sign without its own time by its panel, and groups the three under the 85353-1 panel', () => {
    expect(byCode('8302-2').effectiveDateTime).toBe('2025-06-09');
    expect(byCode('85353-1').hasMember).toHaveLength(3);
    expect(category(byCode('85353-1'))).toBe('vital-signs');
  });

  it('maps social history with its coded or measured value', () => {
    expect(category(byCode('72166-2'))).toBe('social-history');
    expect(byCode('72166-2').valueCodeableConcept?.coding?.[0]).toMatchObject({ system: 'http://loinc.org', code: 'LA18976-3' });
    expect(byCode('74011-8').valueQuantity).toMatchObject({ value: 12.5, unit: '{pack}/a' });
  });

  it('maps a procedure done (CCAM code, date, site, reason) and keeps a negated one as not-done', () => {
    const procedures = resourcesOf<Procedure>(plan.bundle, 'Procedure');
    const angioplasty = procedures.find((p) => p.code?.coding?.[0].code === 'DDAF004') as Procedure;
    expect(angioplasty).toMatchObject({ status: 'completed', performedDateTime: '2018-01-14' });
    expect(angioplasty.code?.coding?.[0].system).toBe('urn:oid:1.2.250.1.213.2.5');
    expect(angioplasty.bodySite?.[0].coding?.[0].code).toBe('41801008');
    expect(angioplasty.reasonCode?.[0].coding?.[0]).toMatchObject({ system: 'http://hl7.org/fhir/sid/icd-10', code: 'I21.1' });
    expect(procedures.find((p) => p.code?.coding?.[0].code === 'HHQE002')?.status).toBe('not-done');
  });

  it('keeps the "do not resuscitate" directive as stated: code 304253006, value true, from 2 February 2024', () => {
    const dnr = byCode('304253006');
    expect(dnr.category?.[0].coding?.[0]).toMatchObject({ system: 'http://loinc.org', code: '42348-3' });
    expect(dnr.valueBoolean).toBe(true);
    expect(dnr.effectivePeriod).toEqual({ start: '2024-02-02' });
    expect(dnr.note?.[0].text).toMatch(/Ne pas réanimer/);
  });

  it('gives the vaccination its dose number and its reaction', () => {
    const [immunization] = resourcesOf<Immunization>(plan.bundle, 'Immunization');
    expect(immunization.protocolApplied).toEqual([{ doseNumberPositiveInt: 3 }]);
    expect(immunization.reaction).toHaveLength(1);
    expect(immunization.reaction?.[0].date).toBe('2024-10-16');
    const reaction = plan.bundle.entry?.find((e) => e.fullUrl === immunization.reaction?.[0].detail?.reference)?.resource as Observation;
    expect(reaction.valueCodeableConcept?.coding?.[0]).toMatchObject({ system: 'http://hl7.org/fhir/sid/icd-10', code: 'R50.9' });
  });

  it('maps a hospital stay to a finished inpatient Encounter with its period and the clinic that provided it', () => {
    const [stay] = resourcesOf<Encounter>(plan.bundle, 'Encounter');
    expect(stay).toMatchObject({ status: 'finished', class: { code: 'IMP' }, period: { start: '2025-03-03', end: '2025-03-07' } });
    expect(stay.serviceProvider?.display).toBe("Clinique de l'Essai");
  });

  it('reports the family history nothing maps by section, statement and templateId, with its count', () => {
    expect(plan.unmapped).toEqual([
      {
        section: {
          code: { system: 'http://loinc.org', code: '10157-6', display: 'Antécédents familiaux' },
          title: 'Antécédents familiaux',
          templateIds: ['1.3.6.1.4.1.19376.1.5.3.1.3.15'],
        },
        statement: 'organizer',
        entryTemplateIds: ['1.3.6.1.4.1.19376.1.5.3.1.4.15'],
        count: 1,
        paths: ['s6.e1'],
      },
    ]);
  });

  it('builds the import OperationOutcome the document channel answers with, and records the loss on the DocumentReference', () => {
    const outcome = unmappedOutcome(plan.unmapped, plan.warnings);
    expect(outcome.issue[0]).toMatchObject({ severity: 'warning', code: 'not-supported', details: { coding: [{ code: '10157-6' }] } });
    expect(outcome.issue[0].details?.text).toMatch(/10157-6 "Antécédents familiaux": 1 organizer entry \(templateId 1\.3\.6\.1\.4\.1\.19376\.1\.5\.3\.1\.4\.15\) not represented/);
    const [dr] = resourcesOf<DocumentReference>(plan.bundle, 'DocumentReference');
    const recorded = dr.extension?.filter((e) => e.url === UNMAPPED_CONTENT_EXTENSION) ?? [];
    expect(recorded).toHaveLength(1);
    expect(recorded[0].extension).toContainEqual({ url: 'count', valueInteger: 1 });
    expect(recorded[0].extension).toContainEqual({ url: 'templateId', valueString: '1.3.6.1.4.1.19376.1.5.3.1.4.15' });
  });
});
