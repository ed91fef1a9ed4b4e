import { practitionerIdentifierKeys } from '../../../src/access/actor';
import { nationalIdentifiers } from '../../../src/access/directory-rules';
import { entryNamesOnly, namesOnePerson } from '../../../src/access/resolve-actor';

const IDNAT = 'urn:oid:1.2.250.1.71.4.2.1';
const RPPS = 'https://rpps.esante.gouv.fr';
const own = practitionerIdentifierKeys('10000000002');

describe('which directory entries name a token', () => {
  test('an entry carrying only the token\'s own national identifiers names him, in either form', () => {
    expect(entryNamesOnly([{ system: IDNAT, value: '810000000002' }], own)).toBe(true);
    expect(entryNamesOnly([{ system: IDNAT, value: '810000000002' }, { system: RPPS, value: '10000000002' }, { system: 'urn:local', value: 'x' }], own)).toBe(true);
  });
  test('an entry that also carries another professional\'s identifier names nobody', () => {
    expect(entryNamesOnly([{ system: IDNAT, value: '810000000001' }, { system: IDNAT, value: '810000000002' }], own)).toBe(false);
    expect(entryNamesOnly([{ system: RPPS, value: '10000000001' }, { system: IDNAT, value: '810000000002' }], own)).toBe(false);
  });
  test('an entry with no national identifier names nobody', () => {
    expect(entryNamesOnly([{ system: 'urn:local', value: '810000000002' }], own)).toBe(false);
    expect(entryNamesOnly(null, own)).toBe(false);
  });
  test('IdNat_PS and RPPS of one professional are one person; two RPPS are two', () => {
    expect(namesOnePerson([{ system: IDNAT, value: '810000000002' }, { system: RPPS, value: '10000000002' }])).toBe(true);
    expect(namesOnePerson([{ system: IDNAT, value: '810000000002' }, { system: RPPS, value: '10000000001' }])).toBe(false);
    expect(namesOnePerson([])).toBe(true);
  });
});

describe('national identifiers of directory entries', () => {
  test('a Practitioner\'s IdNat_PS/RPPS, a PractitionerRole\'s practitioner identifier, an Organization\'s IdNat_Struct/FINESS', () => {
    expect(nationalIdentifiers({ resourceType: 'Practitioner', identifier: [{ system: IDNAT, value: '810000000002' }, { system: 'urn:local', value: '1' }] })).toEqual([`${IDNAT}|810000000002`]);
    expect(nationalIdentifiers({ resourceType: 'PractitionerRole', practitioner: { identifier: { system: RPPS, value: '10000000002' } } })).toEqual([`${RPPS}|10000000002`]);
    expect(nationalIdentifiers({ resourceType: 'Organization', identifier: [{ system: 'http://finess.sante.gouv.fr', value: '750712184' }] })).toEqual(['http://finess.sante.gouv.fr|750712184']);
    expect(nationalIdentifiers({ resourceType: 'Organization', identifier: [{ system: IDNAT, value: '810000000002' }] })).toEqual([]);
    expect(nationalIdentifiers({ resourceType: 'Location' })).toEqual([]);
  });
});
