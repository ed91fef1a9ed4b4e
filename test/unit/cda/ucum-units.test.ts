import { isUcumCode } from '../../../src/cda/ucum-units';

// Which CDA units get UCUM's system and code. Expected from the UCUM specification's case-sensitive table, not from
// the library: a code UCUM does not define, given as one, sends a reader converting units astray.
describe('a CDA unit is a UCUM code only when UCUM defines it as written', () => {
  it.each(['mmol/L', 'm[IU]/L', '10*9/L', 'meq/L', 'mg/dL', '%', '{tablet}', 'mL/min/{1.73_m2}', 'mm[Hg]', 'Cel', '/min', 'ug/mL'])('%s is UCUM', (unit) => {
    expect(isUcumCode(unit)).toBe(true);
  });

  it.each([
    ['mEq/L', 'UCUM writes meq'],
    ['beats/min', '"beats" is no unit ({beats}/min is)'],
    ['sec', 'UCUM writes s'],
    ['µmol/L', 'UCUM has no µ (umol/L)'],
    ['°C', 'Cel'],
    ['UI/L', 'the French "unité internationale" is [IU]'],
    ['mmHg', 'mm[Hg]'],
    [' mg', 'a space is not part of any code; the library would trim it'],
    ['IU', 'the library suggests [IU]: a suggestion is not the code written'],
  ])('%s is not (%s)', (unit) => {
    expect(isUcumCode(unit)).toBe(false);
  });

  it.each(['G/L', 'T/L'])('%s is refused: valid UCUM (gauss, tesla per litre), but a French report means 10*9/L or 10*12/L', (unit) => {
    expect(isUcumCode(unit)).toBe(false);
  });
});
