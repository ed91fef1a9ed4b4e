import type { Patient } from '@medplum/fhirtypes';
import { birthPlaceCodesOf, BIRTH_PLACE_URL, INSEE_CODE_URL } from '../../../src/documents/birth-place';
import { traitConflicts } from '../../../src/documents/identity-traits';

// The birth place as an INS trait (issue 11): compared by its INSEE COG code (5 characters, Corsica 2A/2B), whichever
// way each side spells it — the CDA mapping's `district` (header `county`), FR Core's INSEE code extension.

const cdaWay = (county: string, city = 'X'): Patient => ({ resourceType: 'Patient', extension: [{ url: BIRTH_PLACE_URL, valueAddress: { district: county, city } }] });
const frCoreWay = (code: string): Patient => ({ resourceType: 'Patient', extension: [{ url: BIRTH_PLACE_URL, valueAddress: { city: 'Y', extension: [{ url: INSEE_CODE_URL, valueCoding: { code } }] } }] });
const none: Patient = { resourceType: 'Patient' };

describe('the INSEE code of a birth place', () => {
  it('reads FR Core\'s extension, or a district that is a code; Corsica and lower case included', () => {
    expect(birthPlaceCodesOf(frCoreWay('51454'))).toEqual(['51454']);
    expect(birthPlaceCodesOf(cdaWay('2a004'))).toEqual(['2A004']);
    expect(birthPlaceCodesOf(cdaWay(' 2B033 '))).toEqual(['2B033']);
    expect(birthPlaceCodesOf(cdaWay('99134'))).toEqual(['99134']);
  });

  it('reads nothing from a name, a short or long number, or a department spelt 2C', () => {
    for (const district of ['MARNE', '5145', '514540', '2C004', '']) expect(birthPlaceCodesOf(cdaWay(district))).toEqual([]);
    expect(birthPlaceCodesOf(none)).toEqual([]);
  });

  it('prefers the extension to the district when an address has both', () => {
    const both: Patient = { resourceType: 'Patient', extension: [{ url: BIRTH_PLACE_URL, valueAddress: { district: '51215', extension: [{ url: INSEE_CODE_URL, valueCoding: { code: '51454' } }] } }] };
    expect(birthPlaceCodesOf(both)).toEqual(['51454']);
  });
});

describe('the birth place among the traits compared', () => {
  it('the same code spelt two ways agrees; another code conflicts, named with both values for the caller to word', () => {
    expect(traitConflicts(cdaWay('51454', 'REIMS'), frCoreWay('51454'))).toEqual([]);
    expect(traitConflicts(cdaWay('51215'), frCoreWay('51454'))).toEqual([{ trait: 'birthPlace', document: '51215', record: '51454' }]);
    expect(traitConflicts(cdaWay('2A004'), cdaWay('2B004'))).toEqual([{ trait: 'birthPlace', document: '2A004', record: '2B004' }]);
  });

  it('a side without a code says nothing (the city\'s spelling is never compared)', () => {
    expect(traitConflicts(none, frCoreWay('51454'))).toEqual([]);
    expect(traitConflicts(cdaWay('51454'), none)).toEqual([]);
    expect(traitConflicts(cdaWay('MARNE', 'REIMS'), frCoreWay('51454'))).toEqual([]);
  });
});
