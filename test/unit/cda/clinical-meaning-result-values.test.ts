import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Observation } from '@medplum/fhirtypes';
import { planCdaImport } from '../../../src/cda';
import { resourcesOf } from './summarize-plan';

// A result's value as written: an interval with exclusive bounds, a value given as a nullFlavor. The header is the one
// of fixtures/cda/vsm-sujets-humeurs-statuts.xml; the one result below is written here, expected facts read from it.
const FIXTURE = readFileSync(join(__dirname, '../../../fixtures/cda/vsm-sujets-humeurs-statuts.xml'), 'utf8');
const withBody = (sections: string): Buffer =>
  Buffer.from(FIXTURE.replace(/<structuredBody>[\s\S]*<\/structuredBody>/, `<structuredBody>${sections}</structuredBody>`));
const section = (entries: string) => `<component><section><code code="11502-2" codeSystem="2.16.840.1.113883.6.1"/><title>S</title><text>x</text>${entries}</section></component>`;

describe('values whose meaning a FHIR value cannot hold as written', () => {
  const result = (value: string) => {
    const entry = `<entry><observation classCode="OBS" moodCode="EVN"><templateId root="1.3.6.1.4.1.19376.1.3.1.6"/>
      <code code="2345-7" codeSystem="2.16.840.1.113883.6.1"/><statusCode code="completed"/><effectiveTime value="20250609"/>${value}</observation></entry>`;
    const plan = planCdaImport(withBody(section(entry)));
    return { plan, observation: resourcesOf<Observation>(plan.bundle, 'Observation').find((o) => o.code.coding?.[0].code === '2345-7') as Observation };
  };

  it('keeps an interval with two exclusive bounds as the document\'s words, not an inclusive range', () => {
    const { plan, observation } = result('<value xsi:type="IVL_PQ"><low value="5" unit="mmol/L" inclusive="false"/><high value="10" unit="mmol/L" inclusive="false"/></value>');
    expect(observation.valueRange).toBeUndefined();
    expect(observation.valueString).toBe('> 5 mmol/L and < 10 mmol/L');
    expect(plan.warnings).toContainEqual(expect.stringContaining('has an exclusive bound'));
  });

  it('still maps an interval inclusive at both ends as a range', () => {
    const { observation } = result('<value xsi:type="IVL_PQ"><low value="5" unit="mmol/L"/><high value="10" unit="mmol/L"/></value>');
    expect(observation.valueRange).toMatchObject({ low: { value: 5 }, high: { value: 10 } });
  });

  it.each([['ASKU', 'asked-unknown'], ['NAV', 'temp-unknown'], ['MSK', 'masked'], ['NA', 'not-applicable'], ['NI', 'unknown'], ['TRC', 'unknown']])(
    'says why a value given as nullFlavor %s is absent: %s', (flavor, reason) => {
      const { observation } = result(`<value xsi:type="PQ" nullFlavor="${flavor}"/>`);
      expect(observation.valueQuantity).toBeUndefined();
      expect(observation.dataAbsentReason?.coding?.[0]).toEqual({ system: 'http://terminology.hl7.org/CodeSystem/data-absent-reason', code: reason });
      expect(observation.dataAbsentReason?.coding?.[1]).toEqual({ system: 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor', code: flavor });
    });

  it('gives no data-absent reason when there is a value or no value element at all', () => {
    expect(result('<value xsi:type="PQ" value="5.2" unit="mmol/L"/>').observation.dataAbsentReason).toBeUndefined();
    expect(result('').observation.dataAbsentReason).toBeUndefined();
  });
});
