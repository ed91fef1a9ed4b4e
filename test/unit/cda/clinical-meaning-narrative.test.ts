import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Immunization, Observation } from '@medplum/fhirtypes';
import { planCdaImport } from '../../../src/cda';
import { resourcesOf } from './summarize-plan';

// Facts read from fixtures/cda/vsm-textes-narratifs.xml: apps display CodeableConcept.text, so it must say what the
// code says; the narrative the codes point at is kept as a note.
describe('displayed text comes from the code, the narrative goes to note', () => {
  const { bundle, warnings } = planCdaImport(readFileSync(join(__dirname, '../../../fixtures/cda/vsm-textes-narratifs.xml')));
  const result = (loinc: string) => resourcesOf<Observation>(bundle, 'Observation').find((o) => o.code.coding?.[0].code === loinc) as Observation;

  it('keeps influenza A coded positive without displaying "négatif", the narrative in note', () => {
    const fluA = result('92142-9');
    expect(fluA.valueCodeableConcept).toEqual({ coding: [{ system: 'http://snomed.info/sct', code: '10828004', display: 'Positif' }] });
    expect(fluA.note).toEqual([{ text: 'négatif' }]);
  });

  it('reports the contradiction between the positive code and the negative narrative as an import warning', () => {
    const contradictions = warnings.filter((w) => /narrative reads/.test(w));
    expect(contradictions).toHaveLength(1);
    expect(contradictions[0]).toBe('Entry s1.e1.r1: value coded positive but its narrative reads negative; the code is kept, the narrative is in note');
  });

  it('does not warn when code and narrative agree (influenza B negative)', () => {
    expect(result('92141-1').valueCodeableConcept?.text).toBeUndefined();
    expect(warnings.some((w) => w.startsWith('Entry s1.e1.r2'))).toBe(false);
  });

  it('never names the vaccine "Oui": the vaccine code displays its displayName, the cell is a note', () => {
    const [vaccination] = resourcesOf<Immunization>(bundle, 'Immunization');
    expect(vaccination.vaccineCode.text).toBeUndefined();
    expect(vaccination.vaccineCode.coding?.[0]).toEqual({ system: 'http://www.whocc.no/atc', code: 'J07BB02', display: 'grippe, antigène purifié' });
    expect(vaccination.note).toEqual([{ text: 'Oui' }]);
  });
});
