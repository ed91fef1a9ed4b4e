import type { AllergyIntolerance, Condition, Immunization, MedicationStatement } from '@medplum/fhirtypes';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { planCdaImport } from '../../../src/cda';
import { resourcesOf } from './summarize-plan';

// Facts read from fixtures/cda/vsm-absences.xml: every entry there says that something is absent, except the
// refused influenza vaccination. None may come out as a positive fact.
describe('"no known …" statements never become positive facts', () => {
  const { bundle, warnings } = planCdaImport(readFileSync(join(__dirname, '../../../fixtures/cda/vsm-absences.xml')));
  const allergies = resourcesOf<AllergyIntolerance>(bundle, 'AllergyIntolerance');

  it('records "no known allergy" and "no known drug allergy" the FHIR way, confirmed', () => {
    expect(allergies.map((a) => a.code?.coding?.[0].code)).toEqual(['716186003', '409137002']);
    for (const allergy of allergies) {
      expect(allergy.code?.coding?.[0].system).toBe('http://snomed.info/sct');
      expect(allergy.verificationStatus?.coding?.[0].code).toBe('confirmed');
      expect(allergy.clinicalStatus?.coding?.[0].code).toBe('active');
      expect(allergy.reaction).toBeUndefined();
    }
  });

  it('does not turn a drug allergy whose agent is missing into a confirmed drug allergy, and says so', () => {
    expect(allergies.some((a) => a.code?.coding?.[0].code === '416098002')).toBe(false);
    expect(warnings).toContainEqual(expect.stringMatching(/allergy entry without an identified agent/));
  });

  it('creates no MedicationStatement for "no treatment" (negated generic drug, IPS no-known-medications)', () => {
    expect(resourcesOf<MedicationStatement>(bundle, 'MedicationStatement')).toEqual([]);
    expect(warnings.filter((w) => /states no known medication/.test(w))).toHaveLength(2);
  });

  it('creates no Immunization for "no known immunizations" and records the refused vaccination as not done', () => {
    const immunizations = resourcesOf<Immunization>(bundle, 'Immunization');
    expect(immunizations).toHaveLength(1);
    const [refused] = immunizations;
    expect(refused.status).toBe('not-done');
    expect(refused.vaccineCode.coding?.[0].code).toBe('J07BB02');
    expect(refused.statusReason?.coding?.[0]).toMatchObject({ code: 'PATOBJ' });
    expect(refused.occurrenceDateTime).toBe('2025-06-02');
    expect(warnings).toContainEqual(expect.stringMatching(/states no known immunization/));
  });

  it('creates no Condition for "no known problem"', () => {
    expect(resourcesOf<Condition>(bundle, 'Condition')).toEqual([]);
    expect(warnings).toContainEqual(expect.stringMatching(/states no known problem/));
  });
});
