import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Observation } from '@medplum/fhirtypes';
import { planCdaImport } from '../../../src/cda';
import { resourcesOf } from './summarize-plan';

// Units and reference ranges as a laboratory writes them. The header is the one of
// fixtures/cda/vsm-sujets-humeurs-statuts.xml; each result below is written here, the expected facts read from it.
const FIXTURE = readFileSync(join(__dirname, '../../../fixtures/cda/vsm-sujets-humeurs-statuts.xml'), 'utf8');
const withBody = (sections: string): Buffer =>
  Buffer.from(FIXTURE.replace(/<structuredBody>[\s\S]*<\/structuredBody>/, `<structuredBody>${sections}</structuredBody>`));
const UCUM = 'http://unitsofmeasure.org';

const result = (loinc: string, inner: string) => {
  const entry = `<entry><observation classCode="OBS" moodCode="EVN"><templateId root="1.3.6.1.4.1.19376.1.3.1.6"/>
    <code code="${loinc}" codeSystem="2.16.840.1.113883.6.1"/><statusCode code="completed"/><effectiveTime value="20250609"/>${inner}</observation></entry>`;
  const plan = planCdaImport(withBody(`<component><section><code code="11502-2" codeSystem="2.16.840.1.113883.6.1"/><title>S</title><text>x</text>${entry}</section></component>`));
  return { plan, observation: resourcesOf<Observation>(plan.bundle, 'Observation').find((o) => o.code.coding?.[0].code === loinc) as Observation };
};

describe('a unit is a UCUM code only when it can be one', () => {
  it('keeps « G/L » (giga per litre to a French lab, gauss per litre to UCUM) as text, without a UCUM code', () => {
    const { plan, observation } = result('6690-2', '<value xsi:type="PQ" value="6.5" unit="G/L"/>');
    expect(observation.valueQuantity).toEqual({ value: 6.5, unit: 'G/L' });
    expect(plan.warnings).toContain('Entry s1.e1: the unit "G/L" is not UCUM; kept as the document\'s text, without a UCUM code');
  });

  it('keeps « µmol/L » and « UI/L » as text too', () => {
    expect(result('2160-0', '<value xsi:type="PQ" value="80" unit="µmol/L"/>').observation.valueQuantity).toEqual({ value: 80, unit: 'µmol/L' });
    expect(result('1742-6', '<value xsi:type="PQ" value="32" unit="UI/L"/>').observation.valueQuantity).toEqual({ value: 32, unit: 'UI/L' });
  });

  it('still codes UCUM units (g/L, umol/L, m[IU]/L, an annotation) as UCUM, and a unit of 1 as none', () => {
    expect(result('2885-2', '<value xsi:type="PQ" value="70" unit="g/L"/>').observation.valueQuantity).toEqual({ value: 70, unit: 'g/L', system: UCUM, code: 'g/L' });
    expect(result('3016-3', '<value xsi:type="PQ" value="2.1" unit="m[IU]/L"/>').observation.valueQuantity?.code).toBe('m[IU]/L');
    expect(result('5803-2', '<value xsi:type="PQ" value="6" unit="{pH}"/>').observation.valueQuantity?.code).toBe('{pH}');
    expect(result('6301-6', '<value xsi:type="PQ" value="1.1" unit="1"/>').observation.valueQuantity).toEqual({ value: 1.1 });
  });
});

describe('a reference range is the range of normal values', () => {
  const range = (bounds: string, interpretation?: string) =>
    `<referenceRange><observationRange><value xsi:type="IVL_PQ">${bounds}</value>${interpretation ? `<interpretationCode code="${interpretation}" codeSystem="2.16.840.1.113883.5.83"/>` : ''}</observationRange></referenceRange>`;

  it('leaves out a range that marks values high (interpretationCode H), with a warning, and keeps the normal one', () => {
    const { plan, observation } = result('2823-3', `<value xsi:type="PQ" value="5.9" unit="mmol/L"/><interpretationCode code="H" codeSystem="2.16.840.1.113883.5.83"/>
      ${range('<low value="5.2" unit="mmol/L"/><high value="6.5" unit="mmol/L"/>', 'H')}${range('<low value="3.5" unit="mmol/L"/><high value="5.1" unit="mmol/L"/>', 'N')}`);
    expect(observation.referenceRange).toEqual([{ low: { value: 3.5, unit: 'mmol/L', system: UCUM, code: 'mmol/L' }, high: { value: 5.1, unit: 'mmol/L', system: UCUM, code: 'mmol/L' } }]);
    expect(plan.warnings).toContain('Entry s1.e1.range1: range of the values interpreted "H", not a normal range; not represented');
  });

  it('keeps a range with one bound as that bound only, and critical interpretations as written (HH is not H)', () => {
    const { observation } = result('2823-3', `<value xsi:type="PQ" value="7.1" unit="mmol/L"/><interpretationCode code="HH" codeSystem="2.16.840.1.113883.5.83"/>
      ${range('<high value="5.1" unit="mmol/L"/>')}`);
    expect(observation.referenceRange).toEqual([{ high: { value: 5.1, unit: 'mmol/L', system: UCUM, code: 'mmol/L' } }]);
    expect(observation.interpretation?.[0].coding?.[0]).toMatchObject({ code: 'HH', system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation' });
  });
});

describe('a reference range for a population says which', () => {
  const ranged = (inner: string) => result('718-7', `<value xsi:type="PQ" value="12.5" unit="g/dL"/>
    <referenceRange><observationRange>${inner}<value xsi:type="IVL_PQ"><low value="12" unit="g/dL"/><high value="16" unit="g/dL"/></value>
    <interpretationCode code="N" codeSystem="2.16.840.1.113883.5.83"/></observationRange></referenceRange>`);

  it('keeps the population the range is for (its code) as appliesTo', () => {
    const { observation } = ranged('<code code="248152002" codeSystem="2.16.840.1.113883.6.96" displayName="Female"/>');
    expect(observation.referenceRange?.[0].appliesTo).toEqual([{ coding: [{ system: 'http://snomed.info/sct', code: '248152002', display: 'Female' }] }]);
    expect(observation.referenceRange?.[0].low?.value).toBe(12);
  });

  it('leaves out a range with a precondition (for whom it holds is not said in FHIR), with a warning', () => {
    const { plan, observation } = ranged('<precondition><criterion><code code="77386006" codeSystem="2.16.840.1.113883.6.96"/></criterion></precondition>');
    expect(observation.referenceRange).toBeUndefined();
    expect(plan.warnings).toContain('Entry s1.e1.range1: range with a precondition (for a population it names); not represented');
  });
});
