import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Observation } from '@medplum/fhirtypes';
import { planCdaImport } from '../../../src/cda';
import { stringifyWithLexicalDecimals } from '../../../src/fhir/lexical-decimal';
import { resourcesOf } from './summarize-plan';

// Facts read from fixtures/cda/cr-bio-valeurs-numeriques.xml: the digits and bounds of four results.
describe('numbers keep their meaning (digits, comparators, exclusive bounds)', () => {
  const { bundle } = planCdaImport(readFileSync(join(__dirname, '../../../fixtures/cda/cr-bio-valeurs-numeriques.xml')));
  const result = (loinc: string) => resourcesOf<Observation>(bundle, 'Observation').find((o) => o.code.coding?.[0].code === loinc) as Observation;

  it('writes fibrinogen as 2.050 g/L and its reference range as 2.00 to 4.00', () => {
    const text = stringifyWithLexicalDecimals(result('3255-7'));
    expect(text).toContain('"valueQuantity":{"value":2.050,"unit":"g/L"');
    expect(text).toContain('"low":{"value":2.00,');
    expect(text).toContain('"high":{"value":4.00,');
    expect(text).not.toContain('decimal-lexical');
  });

  it('maps CRP "< 1.0 mg/L" to a quantity with the exclusive comparator and its digits', () => {
    const crp = result('1988-5');
    expect(crp.valueRange).toBeUndefined();
    expect(crp.valueQuantity).toMatchObject({ value: 1, comparator: '<', unit: 'mg/L', code: 'mg/L' });
    expect(stringifyWithLexicalDecimals(crp)).toContain('"valueQuantity":{"value":1.0,');
  });

  it('maps eGFR ">= 90" to a quantity with the inclusive comparator', () => {
    expect(result('62238-1').valueQuantity).toMatchObject({ value: 90, comparator: '>=', code: 'mL/min/{1.73_m2}' });
  });

  it('keeps the troponin reference "< 0.128" exclusive in the range text, and the result 0.010', () => {
    const troponin = result('89579-7');
    expect(troponin.referenceRange?.[0].text).toBe('< 0.128 ug/L');
    expect(troponin.referenceRange?.[0].high?.value).toBe(0.128);
    expect(stringifyWithLexicalDecimals(troponin)).toContain('"valueQuantity":{"value":0.010,');
  });
});

describe('stringifyWithLexicalDecimals', () => {
  const lexical = (digits: string) => ({ extension: [{ url: 'https://dmp-fhir-adapter.org/fhir/StructureDefinition/decimal-lexical', valueString: digits }] });

  it('keeps other extensions of the primitive and drops only the lexical one', () => {
    const other = { url: 'http://example.org/x', valueString: 'y' };
    const text = stringifyWithLexicalDecimals({ value: 75, _value: { extension: [other, ...lexical('75.0').extension] } });
    expect(text).toBe('{"value":75.0,"_value":{"extension":[{"url":"http://example.org/x","valueString":"y"}]}}');
  });

  it('ignores recorded digits that do not equal the number (the value was changed since)', () => {
    expect(stringifyWithLexicalDecimals({ value: 3, _value: lexical('2.050') })).toBe('{"value":3}');
  });

  it('leaves JSON without the extension exactly as JSON.stringify writes it', () => {
    const resource = { resourceType: 'Observation', valueQuantity: { value: 2.05 }, note: [{ text: 'lexical-decimal-0:1' }] };
    expect(stringifyWithLexicalDecimals(resource)).toBe(JSON.stringify(resource));
  });
});
