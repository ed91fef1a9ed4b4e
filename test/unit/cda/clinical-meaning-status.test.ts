import type { AllergyIntolerance, Condition, MedicationStatement } from '@medplum/fhirtypes';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { planCdaImport } from '../../../src/cda';
import { resourcesOf } from './summarize-plan';

// Facts read from fixtures/cda/vsm-statuts-cliniques.xml, a summary dated 10 June 2025. Every treatment there
// carries statusCode "completed" (the act of recording is complete); the periods say what the treatment is.
describe('clinical status comes from periods and status observations, not from the act statusCode', () => {
  const { bundle } = planCdaImport(readFileSync(join(__dirname, '../../../fixtures/cda/vsm-statuts-cliniques.xml')));
  const medication = (atc: string) =>
    resourcesOf<MedicationStatement>(bundle, 'MedicationStatement').find((m) => m.medicationCodeableConcept?.coding?.[0].code === atc);

  it('keeps the anticoagulant started in January 2024 with no end date active', () => {
    expect(medication('B01AF02')?.status).toBe('active');
    expect(medication('B01AF02')?.effectivePeriod).toEqual({ start: '2024-01-03' });
  });

  it('marks the antibiotic that ended on 9 May 2025 completed', () => {
    expect(medication('J01CA04')?.status).toBe('completed');
  });

  it('keeps the corticoid course ending on 20 June 2025, after the document, active', () => {
    expect(medication('H02AB06')?.status).toBe('active');
  });

  it('gives the grass pollen allergy whose status observation says inactive an inactive clinical status', () => {
    const [allergy] = resourcesOf<AllergyIntolerance>(bundle, 'AllergyIntolerance');
    expect(allergy.code?.coding?.[0].code).toBe('418689008');
    expect(allergy.clinicalStatus?.coding?.[0].code).toBe('inactive');
    expect(allergy.verificationStatus?.coding?.[0].code).toBe('confirmed');
  });

  it('keeps atrial fibrillation active and the resolved pneumonia resolved', () => {
    const status = (icd: string) =>
      resourcesOf<Condition>(bundle, 'Condition').find((c) => c.code?.coding?.[0].code === icd)?.clinicalStatus?.coding?.[0].code;
    expect(status('I48')).toBe('active');
    expect(status('J18.9')).toBe('resolved');
  });
});
