import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MedicationRequest, MedicationStatement } from '@medplum/fhirtypes';
import { planCdaImport } from '../../../src/cda';
import { resourcesOf } from './summarize-plan';

// Facts read from fixtures/cda/vsm-doses-progressives.xml (see its header comment): a dose that changes over time is
// several facts. A schedule was flattened: the subordinate phases of a treatment taken were not read at all, and two
// doses in one administration gave the first as the dose of the whole treatment.
const plan = planCdaImport(readFileSync(join(__dirname, '../../../fixtures/cda/vsm-doses-progressives.xml')));
const statement = (atc: string) => resourcesOf<MedicationStatement>(plan.bundle, 'MedicationStatement').find((m) => m.medicationCodeableConcept?.coding?.[0].code === atc) as MedicationStatement;
const TABLET = { unit: '{tablet}', system: 'http://unitsofmeasure.org', code: '{tablet}' };
const ORAL = { coding: [{ system: 'urn:oid:0.4.0.127.0.16.1.1.2.1', code: '20053000', display: 'Voie orale' }] };

describe('a tapered treatment taken (med-1 prednisolone)', () => {
  const med = statement('H02AB06');

  it('is one Dosage per phase, in sequence, each with its dose, frequency and dates', () => {
    expect(med.dosage).toEqual([
      {
        sequence: 1, route: ORAL, text: '1 comprimé le matin du 01/06 au 05/06',
        timing: { repeat: { boundsPeriod: { start: '2025-06-01', end: '2025-06-05' }, frequency: 1, period: 1, periodUnit: 'd' } },
        doseAndRate: [{ doseQuantity: { value: 1, ...TABLET } }],
      },
      {
        sequence: 2, route: ORAL, text: '1/2 comprimé le matin du 06/06 au 10/06',
        timing: { repeat: { boundsPeriod: { start: '2025-06-06', end: '2025-06-10' }, frequency: 1, period: 1, periodUnit: 'd' } },
        doseAndRate: [{ doseQuantity: { value: 0.5, ...TABLET } }],
      },
    ]);
  });

  it('keeps the whole schedule as written in a note, not as the text of one phase', () => {
    expect(med.note).toEqual([{ text: 'Prednisolone 20 mg : 1 comprimé le matin du 1er au 5 juin, puis 1/2 comprimé le matin du 6 au 10 juin' }]);
    expect(med.effectivePeriod).toEqual({ start: '2025-06-01', end: '2025-06-10' });
  });
});

describe('two doses and two periods in one administration', () => {
  it('gives a treatment taken (med-2) no dose at all, only the text, and says so', () => {
    expect(statement('H02AB07').dosage).toEqual([{ text: 'Prednisone 20 mg : 1 comprimé par jour pendant 5 jours puis 1/2 comprimé par jour pendant 5 jours' }]);
    expect(plan.warnings.filter((w) => w.startsWith('Entry s1.e2: several doses, rates or periods in one administration'))).toHaveLength(1);
  });

  it('gives a treatment intended (med-3) no dose either', () => {
    const [request] = resourcesOf<MedicationRequest>(plan.bundle, 'MedicationRequest');
    expect(request.medicationCodeableConcept?.coding?.[0].code).toBe('H02AB04');
    expect(request.dosageInstruction).toEqual([{ text: 'Méthylprednisolone 16 mg : 2 comprimés par jour 3 jours puis 1 comprimé par jour 3 jours' }]);
    expect(plan.warnings.filter((w) => w.startsWith('Entry s1.e3: several doses, rates or periods in one administration'))).toHaveLength(1);
  });
});

describe('a phase entered in error (med-4 dexamethasone)', () => {
  it('is no phase of the treatment: the one phase left is two tablets, and the import reports the other', () => {
    const med = statement('H02AB02');
    expect(med.dosage?.map((d) => [d.sequence, d.doseAndRate?.[0].doseQuantity?.value])).toEqual([[1, 2]]);
    expect(plan.warnings).toContain('Entry s1.e4.r2: dosage phase (subordinate substanceAdministration): statusCode "nullified": the statement was entered in error; not represented');
    expect(plan.unmapped.flatMap((u) => u.paths)).toEqual(['s1.e4.r2']);
  });
});
