import { IDNAT_PS_SYSTEM, practitionerIdentifierKeys, professionalPerson, professionalSpellings, RPPS_SYSTEM } from '../../../src/access/actor';

// One definition of an RPPS number's spellings (issue 11, sweep 7): the token's keys and the directory's duplicate check
// both come from `professionalSpellings`. An RPPS is 11 digits; its IdNat_PS is `8` + RPPS.
const R = '10000000001';
const ALL_R = [`${IDNAT_PS_SYSTEM}|8${R}`, `${IDNAT_PS_SYSTEM}|${R}`, `${RPPS_SYSTEM}|${R}`, `${RPPS_SYSTEM}|8${R}`];

describe('every spelling of one RPPS number names one person', () => {
  const cases: [string, string, string][] = [
    ['IdNat_PS 8 + RPPS', IDNAT_PS_SYSTEM, `8${R}`],
    ['bare RPPS under the IdNat_PS OID', IDNAT_PS_SYSTEM, R],
    ['RPPS under the RPPS system', RPPS_SYSTEM, R],
    ['12-digit IdNat_PS value under the RPPS system', RPPS_SYSTEM, `8${R}`],
  ];
  for (const [label, system, value] of cases) {
    it(`${label}: the person rpps:${R}, all four spellings`, () => {
      expect(professionalPerson(system, value)).toBe(`rpps:${R}`);
      expect(professionalSpellings(system, value).sort()).toEqual([...ALL_R].sort());
    });
  }

  it('a token naming the RPPS, or its IdNat_PS, is given the same four keys', () => {
    expect(practitionerIdentifierKeys(R).sort()).toEqual([...ALL_R].sort());
    expect(practitionerIdentifierKeys(`8${R}`).sort()).toEqual([...ALL_R].sort());
  });

  it('each spelling leads back to the same person (the two sides cannot disagree)', () => {
    for (const key of ALL_R) {
      const bar = key.indexOf('|');
      expect(professionalPerson(key.slice(0, bar), key.slice(bar + 1))).toBe(`rpps:${R}`);
    }
  });
});

describe('other national identifiers are only themselves', () => {
  it('an ADELI-based IdNat_PS (0 + ADELI) is its own person, one spelling, and a token naming it gets only that key', () => {
    expect(professionalPerson(IDNAT_PS_SYSTEM, '0751234567')).toBe('idnat:0751234567');
    expect(professionalSpellings(IDNAT_PS_SYSTEM, '0751234567')).toEqual([`${IDNAT_PS_SYSTEM}|0751234567`]);
    // Before: `8` + the ADELI-based value under the IdNat_PS OID (an 11-digit RPPS's IdNat_PS spelling) and the RPPS system.
    expect(practitionerIdentifierKeys('0751234567')).toEqual([`${IDNAT_PS_SYSTEM}|0751234567`]);
  });

  it('a value under the RPPS system that is no RPPS is only itself', () => {
    expect(professionalSpellings(RPPS_SYSTEM, '12345')).toEqual([`${RPPS_SYSTEM}|12345`]);
    expect(professionalPerson(IDNAT_PS_SYSTEM, '12345')).not.toBe(professionalPerson(RPPS_SYSTEM, '12345'));
  });
});
