import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AllergyIntolerance, Condition, MedicationStatement, Observation, Procedure } from '@medplum/fhirtypes';
import { planCdaImport } from '../../../src/cda';
import { resourcesOf } from './summarize-plan';

// Facts read from fixtures/cda/vsm-incertitudes-statuts.xml (see its header comment). `uncertaintyCode` was never read:
// a suspected coeliac disease was a confirmed Condition, a ferritin "to be confirmed" a final result.
const plan = planCdaImport(readFileSync(join(__dirname, '../../../fixtures/cda/vsm-incertitudes-statuts.xml')));
const UCUM = 'http://unitsofmeasure.org';

describe('statements made with uncertainty', () => {
  it('keeps a suspected diagnosis unconfirmed (pb-1)', () => {
    const conditions = resourcesOf<Condition>(plan.bundle, 'Condition');
    expect(conditions.map((c) => [c.code?.coding?.[0].code, c.verificationStatus?.coding?.[0].code])).toEqual([['396331005', 'unconfirmed']]);
  });

  it('makes neither a diabetes nor a refuted one of "probably no diabetes" (pb-2)', () => {
    expect(resourcesOf<Condition>(plan.bundle, 'Condition').some((c) => c.code?.coding?.[0].code === '44054006')).toBe(false);
    expect(plan.warnings).toContain('Entry s1.e2: negated problem stated with uncertainty (uncertaintyCode="U"); not represented');
  });

  it('keeps a suspected amoxicillin allergy unconfirmed (al-1)', () => {
    const [allergy] = resourcesOf<AllergyIntolerance>(plan.bundle, 'AllergyIntolerance');
    expect(allergy.code?.coding?.[0].code).toBe('J01CA04');
    expect(allergy.verificationStatus?.coding?.[0].code).toBe('unconfirmed');
  });

  it('records neither a result nor a procedure stated with uncertainty (res-1, pr-2), and reports both', () => {
    expect(resourcesOf<Observation>(plan.bundle, 'Observation').some((o) => o.code.coding?.[0].code === '2276-4')).toBe(false);
    expect(resourcesOf<Procedure>(plan.bundle, 'Procedure').some((p) => p.code?.coding?.[0].code === 'ZCQM001')).toBe(false);
    expect(plan.unmapped.flatMap((u) => u.paths)).toEqual(['s3.e1', 's4.e2', 's5.e1.r1']);
  });
});

describe('statuses and units as written', () => {
  it('does not make a gastroscopy not yet begun (held) a procedure of unknown status (pr-1)', () => {
    const [procedure] = resourcesOf<Procedure>(plan.bundle, 'Procedure');
    expect(procedure.code?.coding?.[0].code).toBe('HEQE002');
    expect(procedure.status).toBe('preparation');
  });

  it('makes no hypertension of a problem observation that was cancelled (pb-3)', () => {
    expect(resourcesOf<Condition>(plan.bundle, 'Condition').some((c) => c.code?.coding?.[0].code === '38341003')).toBe(false);
    expect(plan.warnings).toContain('Entry s1.e3: problem statusCode "cancelled": the observation was not made; not represented');
  });

  it('serves a treatment cancelled before it began as not taken, not as stopped (med-2)', () => {
    const ramipril = resourcesOf<MedicationStatement>(plan.bundle, 'MedicationStatement').find((m) => m.medicationCodeableConcept?.coding?.[0].code === 'C09AA05');
    expect(ramipril?.status).toBe('not-taken');
  });

  it('gives no dispensation for a delivery entered in error (med-1)', () => {
    expect(resourcesOf(plan.bundle, 'MedicationStatement')).toHaveLength(2);
    expect(resourcesOf(plan.bundle, 'MedicationDispense')).toHaveLength(0);
  });

  it('gives "mEq/L" no UCUM code (UCUM writes meq), and "meq/L" its own (res-2, res-3)', () => {
    const value = (loinc: string) => resourcesOf<Observation>(plan.bundle, 'Observation').find((o) => o.code.coding?.[0].code === loinc)?.valueQuantity;
    expect(value('2823-3')).toEqual({ value: 4.1, unit: 'mEq/L' });
    expect(value('2951-2')).toEqual({ value: 140, unit: 'meq/L', system: UCUM, code: 'meq/L' });
  });
});
