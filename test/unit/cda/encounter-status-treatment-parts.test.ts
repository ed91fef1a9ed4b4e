import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Encounter, MedicationRequest, MedicationStatement } from '@medplum/fhirtypes';
import { planCdaImport } from '../../../src/cda';
import { EFFECTIVE_DOSE_PERIOD_EXTENSION } from '../../../src/cda/mappers/prescription';
import { resourcesOf } from './summarize-plan';

// Facts read from fixtures/cda/vsm-rencontres-traitements-si-besoin.xml (see its header comment). An aborted or
// suspended stay was `finished`; a phase "from 6 June for 5 days" kept "5 days" and lost its date; a treatment taken
// "if pain, at most 4 a day" was read as a regular one with no cap (only its route was read), its site, rate, reason,
// comment and patient instruction were dropped, and other statements inside it were lost with nothing said.
const plan = planCdaImport(readFileSync(join(__dirname, '../../../fixtures/cda/vsm-rencontres-traitements-si-besoin.xml')));
const statement = (atc: string) => resourcesOf<MedicationStatement>(plan.bundle, 'MedicationStatement').find((m) => m.medicationCodeableConcept?.coding?.[0].code === atc) as MedicationStatement;
const TABLET = { unit: '{tablet}', system: 'http://unitsofmeasure.org', code: '{tablet}' };
const ucum = (value: number, unit: string) => ({ value, unit, system: 'http://unitsofmeasure.org', code: unit });

describe('encounter status as the document states it (C-CDA on FHIR CF-EncounterStatus, R4 EncounterStatus)', () => {
  const encounters = resourcesOf<Encounter>(plan.bundle, 'Encounter');

  it('an aborted stay is neither finished nor cancelled (unknown, period kept, said); a suspended one is on leave', () => {
    expect(encounters.map((e) => [e.class.code, e.status, e.period])).toEqual([
      ['IMP', 'unknown', { start: '2025-05-01', end: '2025-05-02' }],
      ['IMP', 'onleave', { start: '2025-05-10' }],
      ['AMB', 'finished', { start: '2025-06-03' }],
      ['AMB', 'unknown', { start: '2025-06-04' }],
    ]);
    expect(plan.warnings).toContain('Entry s1.e1: encounter aborted (begun, ended before completion); status unknown, neither finished nor cancelled');
    expect(plan.warnings).toContain('Entry s1.e4: encounter statusCode states no code; status unknown');
  });
});

describe('a treatment taken only "if needed", with a maximum dose (med-prn paracetamol)', () => {
  const med = statement('N02BE01');

  it('is "as needed" on its condition, capped at 4 tablets a day, with the patient instruction', () => {
    expect(med.dosage).toHaveLength(1);
    const [dosage] = med.dosage ?? [];
    expect(dosage.asNeededCodeableConcept).toEqual({ text: 'en cas de douleur' });
    expect(dosage.asNeededBoolean).toBeUndefined();
    expect(dosage.maxDosePerPeriod).toEqual({ numerator: { value: 4, ...TABLET }, denominator: ucum(1, 'd') });
    expect(dosage.patientInstruction).toBe("Espacer les prises d'au moins 6 heures");
    expect(dosage.doseAndRate).toEqual([{ doseQuantity: { value: 1, ...TABLET } }]);
    expect(dosage.route?.coding?.[0].code).toBe('20053000');
  });
});

describe('an infusion taken (med-inf ceftriaxone)', () => {
  const med = statement('J01DD04');

  it('keeps its site, its rate beside its dose, its reason and its comment', () => {
    const [dosage] = med.dosage ?? [];
    expect(dosage.site).toEqual({ coding: [{ system: 'http://snomed.info/sct', code: '66480008', display: 'Left forearm structure' }] });
    expect(dosage.route?.coding?.[0].code).toBe('20045000');
    expect(dosage.doseAndRate).toEqual([{ doseQuantity: ucum(1, 'g'), rateQuantity: ucum(100, 'mL/h') }]);
    expect(med.reasonCode?.map((r) => r.coding?.[0].code)).toEqual(['233604007']);
    expect(med.note?.map((n) => n.text)).toContain('Perfusion bien tolérée');
  });

  it('ends 7 days after its start (2 June 08:00 → 9 June 08:00), so it is completed on 20 June', () => {
    expect(med.effectivePeriod).toEqual({ start: '2025-06-02T08:00:00+02:00', end: '2025-06-09T08:00:00+02:00' });
    expect(med.status).toBe('completed');
  });

  it('reports the instruction to the dispenser, which a treatment taken has no element for', () => {
    expect(plan.unmapped).toContainEqual(expect.objectContaining({ statement: 'act', paths: ['s2.e2.r3'], entryTemplateIds: ['1.3.6.1.4.1.19376.1.5.3.1.4.3.1', '1.2.250.1.213.1.1.3.34'] }));
    expect(JSON.stringify(plan.bundle)).not.toContain('Délivrer en flacons');
  });
});

describe('phases given as a start and a width keep both (med-taper prednisolone)', () => {
  it('bounds each phase by its days, the last day included: 1–5 June, then 6–10 June', () => {
    expect(statement('H02AB06').dosage?.map((d) => [d.sequence, d.timing?.repeat?.boundsPeriod, d.timing?.repeat?.boundsDuration, d.doseAndRate?.[0].doseQuantity?.value])).toEqual([
      [1, { start: '2025-06-01', end: '2025-06-05' }, undefined, 1],
      [2, { start: '2025-06-06', end: '2025-06-10' }, undefined, 0.5],
    ]);
  });
});

describe('preconditions that are not one stated condition', () => {
  it('two conditions (med-2cond): taken as needed, the conditions said not represented', () => {
    const [dosage] = statement('A03FA01').dosage ?? [];
    expect(dosage.asNeededBoolean).toBe(true);
    expect(dosage.asNeededCodeableConcept).toBeUndefined();
    expect(plan.warnings).toContain('Entry s2.e4: 2 preconditions; the dose is "as needed", its conditions are not represented');
  });

  it('a negated condition (med-neg): still taken on a condition, never read as the condition itself', () => {
    const [dosage] = statement('R06AE07').dosage ?? [];
    expect(dosage.asNeededBoolean).toBe(true);
    expect(JSON.stringify(statement('R06AE07'))).not.toContain("en l'absence de somnolence");
    expect(plan.warnings).toContain('Entry s2.e5: precondition negated; not represented as the "as needed" condition (the dose is "as needed")');
  });

  it('a precondition that states nothing (med-empty): no condition, and the import says a precondition was there', () => {
    const [dosage] = statement('R06AX13').dosage ?? [];
    expect(dosage.asNeededBoolean).toBeUndefined();
    expect(dosage.asNeededCodeableConcept).toBeUndefined();
    expect(plan.warnings).toContain('Entry s2.e6: precondition without a stated criterion; the dose is not marked "as needed"');
  });
});

describe('a width from a start known to the month (med-month amoxicillin)', () => {
  it('does not make the treatment ongoing: status unknown, start as written, and a warning', () => {
    const med = statement('J01CA04');
    expect(med.status).toBe('unknown');
    expect(med.effectivePeriod).toEqual({ start: '2025-06' });
    expect(plan.warnings).toContainEqual(expect.stringMatching(/^Entry s2\.e7: a period given as one date and a width/));
  });
});

describe('a dose counted in its unit of administration, at a time of day (med-unit levothyroxine)', () => {
  it('is one tablet (EDQM 10219000), not a bare 1; once a day, the hour said not represented', () => {
    const [dosage] = statement('H03AA01').dosage ?? [];
    expect(dosage.doseAndRate).toEqual([{ doseQuantity: { value: 1, unit: 'Comprimé', system: 'urn:oid:0.4.0.127.0.16.1.1.2.1', code: '10219000' } }]);
    expect(dosage.timing?.repeat).toEqual({ frequency: 1, period: 1, periodUnit: 'd' });
    expect(plan.warnings).toContainEqual(expect.stringMatching(/^Entry s2\.e8: periodic time with a phase/));
    expect(statement('H03AA01').status).toBe('active');
  });
});

describe('a prescribed treatment with a start and a width (rx-1 ibuprofen, INT)', () => {
  const [request] = resourcesOf<MedicationRequest>(plan.bundle, 'MedicationRequest');

  it('has its treatment period 20–29 June and is in force on 20 June', () => {
    expect(request.medicationCodeableConcept?.coding?.[0].code).toBe('M01AE01');
    expect(request.extension?.find((e) => e.url === EFFECTIVE_DOSE_PERIOD_EXTENSION)?.valuePeriod).toEqual({ start: '2025-06-20', end: '2025-06-29' });
    expect(request.status).toBe('active');
  });

  it('bounds each phase by its dates, and only the second phase is "as needed"', () => {
    expect(request.dosageInstruction?.map((d) => [d.sequence, d.timing?.repeat?.boundsPeriod, d.asNeededCodeableConcept])).toEqual([
      [1, { start: '2025-06-20', end: '2025-06-22' }, undefined],
      [2, { start: '2025-06-23', end: '2025-06-29' }, { text: 'si douleur persistante' }],
    ]);
    expect(request.dosageInstruction?.[0].timing?.repeat).toMatchObject({ frequency: 1, period: 8, periodUnit: 'h' });
  });
});
