import { FINESS_SYSTEMS, IDNAT_STRUCT_SYSTEM, nationalHolder, nationalSpellings, namesOneHolder, organisationSpellings, organisationStructure, SIRENE_SYSTEMS } from '../../../src/access/national-identifiers';

// One definition of a structure's identifier spellings (issue 11): the directory's duplicate check and the import's
// look-up both come from `organisationSpellings`. Written from DMP-CONTRACT §3: IdNat_Struct (OID 1.2.250.1.71.4.2.2) is
// `1` + FINESS, `2` + SIREN, `3` + SIRET; FINESS is also written under http(s)://finess(.e)sante.gouv.fr, SIREN and
// SIRET under http(s)://sirene.fr. A FINESS is 9 characters (département first, 2A/2B in Corsica), a SIREN 9 digits, a
// SIRET 14.
const FINESS = '120459876';
const SIRET = '31800350240004';
const SIREN = '318003502';
const ALL_FINESS = [
  `${IDNAT_STRUCT_SYSTEM}|1${FINESS}`,
  `http://finess.sante.gouv.fr|${FINESS}`, `https://finess.sante.gouv.fr|${FINESS}`,
  `http://finess.esante.gouv.fr|${FINESS}`, `https://finess.esante.gouv.fr|${FINESS}`,
];
const ALL_SIRET = [`${IDNAT_STRUCT_SYSTEM}|3${SIRET}`, `http://sirene.fr|${SIRET}`, `https://sirene.fr|${SIRET}`];
const ALL_SIREN = [`${IDNAT_STRUCT_SYSTEM}|2${SIREN}`, `http://sirene.fr|${SIREN}`, `https://sirene.fr|${SIREN}`];

describe('every spelling of one structure names that structure', () => {
  for (const [name, all, holder] of [['FINESS', ALL_FINESS, `finess:${FINESS}`], ['SIRET', ALL_SIRET, `siret:${SIRET}`], ['SIREN', ALL_SIREN, `siren:${SIREN}`]] as const) {
    for (const key of all) {
      it(`${name} written ${key}: the structure ${holder}, and all ${all.length} spellings`, () => {
        const bar = key.indexOf('|');
        expect(organisationStructure(key.slice(0, bar), key.slice(bar + 1))).toBe(holder);
        expect(organisationSpellings(key.slice(0, bar), key.slice(bar + 1)).sort()).toEqual([...all].sort());
        expect(nationalSpellings(key).sort()).toEqual([...all].sort());
        expect(nationalHolder(key)).toBe(holder);
      });
    }
  }

  it('a Corsican FINESS (2A…) is a FINESS too', () => {
    expect(organisationStructure(IDNAT_STRUCT_SYSTEM, '12A0000019')).toBe('finess:2A0000019');
    expect(organisationStructure('https://finess.esante.gouv.fr', '2A0000019')).toBe('finess:2A0000019');
  });

  it('the registries are the ones the spellings are made of', () => {
    expect(FINESS_SYSTEMS).toHaveLength(4);
    expect(SIRENE_SYSTEMS).toEqual(['http://sirene.fr', 'https://sirene.fr']);
  });
});

describe('what is only itself', () => {
  it('an IdNat_Struct of another prefix (RPPS-rang, ADELI-rang) or with no prefix is one spelling', () => {
    expect(organisationSpellings(IDNAT_STRUCT_SYSTEM, '410000000001')).toEqual([`${IDNAT_STRUCT_SYSTEM}|410000000001`]);
    // 9 digits with no prefix: a FINESS or a SIREN? Two different structures: neither.
    expect(organisationSpellings(IDNAT_STRUCT_SYSTEM, FINESS)).toEqual([`${IDNAT_STRUCT_SYSTEM}|${FINESS}`]);
    expect(nationalHolder(`${IDNAT_STRUCT_SYSTEM}|${FINESS}`)).not.toBe(nationalHolder(`http://finess.sante.gouv.fr|${FINESS}`));
  });

  it('a FINESS and a SIREN with the same digits are two structures', () => {
    expect(nationalHolder(`http://finess.sante.gouv.fr|${SIREN}`)).toBe(`finess:${SIREN}`);
    expect(nationalHolder(`https://sirene.fr|${SIREN}`)).toBe(`siren:${SIREN}`);
  });

  it('a value of another shape stays under its registry, whichever of its URIs', () => {
    expect(organisationSpellings('https://sirene.fr', '123').sort()).toEqual(['http://sirene.fr|123', 'https://sirene.fr|123']);
    expect(organisationSpellings('http://finess.sante.gouv.fr', '12').length).toBe(4);
  });

  it('a professional identifier keeps its own definition (professionalSpellings)', () => {
    expect(nationalSpellings('https://rpps.esante.gouv.fr|10000000001')).toHaveLength(4);
    expect(nationalHolder('urn:oid:1.2.250.1.71.4.2.1|810000000001')).toBe('person:rpps:10000000001');
  });
});

describe('one holder of each kind', () => {
  it('a structure carries one identifier per registry: FINESS, SIRET and SIREN together are one structure', () => {
    expect(namesOneHolder([ALL_FINESS[0], ALL_SIRET[1], ALL_SIREN[2], ALL_FINESS[3]])).toBe(true);
  });
  it('two FINESS, or two SIRET, are two structures', () => {
    expect(namesOneHolder([ALL_FINESS[0], 'http://finess.sante.gouv.fr|130000001'])).toBe(false);
    expect(namesOneHolder([ALL_SIRET[0], 'https://sirene.fr|31800350240005'])).toBe(false);
  });
  it('two RPPS are two people, one RPPS in two spellings is one', () => {
    expect(namesOneHolder(['urn:oid:1.2.250.1.71.4.2.1|810000000001', 'https://rpps.esante.gouv.fr|10000000001'])).toBe(true);
    expect(namesOneHolder(['urn:oid:1.2.250.1.71.4.2.1|810000000001', 'https://rpps.esante.gouv.fr|10000000002'])).toBe(false);
  });
});
