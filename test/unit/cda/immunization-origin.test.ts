import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Immunization } from '@medplum/fhirtypes';
import { planCdaImport } from '../../../src/cda';
import { resourcesOf } from './summarize-plan';

// Facts read from fixtures/cda/vac-origine-des-vaccinations.xml (see its header comment). Every vaccination was
// `primarySource: true`, one the patient's mother remembered or the patient typed in herself too.
const plan = planCdaImport(readFileSync(join(__dirname, '../../../fixtures/cda/vac-origine-des-vaccinations.xml')));
const byCvx = (cvx: string) => resourcesOf<Immunization>(plan.bundle, 'Immunization').find((i) => i.vaccineCode.coding?.[0].code === cvx);
const origin = (code: string, display: string) => ({ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/immunization-origin', code, display }] });

describe('where a vaccination record comes from', () => {
  it('is a primary record when the vaccinator wrote it down (vac-1)', () => {
    expect(byCvx('115')).toMatchObject({ primarySource: true, occurrenceDateTime: '2025-03-05' });
    expect(byCvx('115')?.reportOrigin).toBeUndefined();
  });

  it('is the patient side\'s recall when the mother is the informant (vac-2)', () => {
    expect(byCvx('03')).toMatchObject({ primarySource: false, reportOrigin: origin('recall', 'Parent/Guardian/Patient Recall') });
  });

  it('is another provider\'s report when a professional other than the vaccinator informed it (vac-3)', () => {
    expect(byCvx('08')).toMatchObject({ primarySource: false, reportOrigin: origin('provider', 'Other Provider') });
  });

  it('is not stated when a summary copies it with no vaccinator nor informant (vac-4)', () => {
    expect(byCvx('19')).toBeDefined();
    expect(byCvx('19')?.primarySource).toBeUndefined();
    expect(byCvx('19')?.reportOrigin).toBeUndefined();
  });

  it('is the patient\'s recall when she wrote it down herself (vac-5)', () => {
    expect(byCvx('141')).toMatchObject({ primarySource: false, reportOrigin: origin('recall', 'Parent/Guardian/Patient Recall') });
  });
});

describe('what a vaccination entry does not state as a fact', () => {
  it('does not record a vaccination stated with uncertainty (vac-6, "probably in 2015")', () => {
    expect(byCvx('09')).toBeUndefined();
    expect(plan.warnings).toContain('Entry s1.e6: uncertaintyCode="U": stated with uncertainty, which this kind of statement cannot carry; not represented');
  });

  it('does not list a reaction entered in error (vac-7)', () => {
    expect(byCvx('213')).toMatchObject({ status: 'completed', primarySource: true });
    expect(byCvx('213')?.reaction).toBeUndefined();
    expect(resourcesOf(plan.bundle, 'Observation')).toHaveLength(0);
    expect(plan.unmapped.flatMap((u) => u.paths)).toEqual(['s1.e6', 's1.e7.reaction1']);
  });

  it('counts six vaccinations', () => {
    expect(resourcesOf(plan.bundle, 'Immunization')).toHaveLength(6);
  });
});
