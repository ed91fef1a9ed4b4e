import type { Patient } from '@medplum/fhirtypes';
import { checkDisplayedText, lookAlikeScriptsOf } from '../../../src/validation/displayed-text';
import { traitConflicts } from '../../../src/documents/identity-traits';

// Issue 11, look-alike letters: a name is written in one alphabet (src/validation/displayed-text.ts), and a name mixing
// look-alike alphabets agrees with no other in identity comparisons (src/documents/identity-traits.ts).

const CYRILLIC_O = '\u043E';
const person = (family: string, use: 'official' | 'usual' = 'official', given = 'Marie'): Patient => ({ resourceType: 'Patient', name: [{ use, family, given: [given] }] });

describe('the alphabets of a name', () => {
  it('tells Latin, Cyrillic and Greek letters apart; digits, spaces, punctuation and accents are none of them', () => {
    expect(lookAlikeScriptsOf('Hélène N’Diaye-Lefèvre 2')).toEqual(['Latin']);
    expect(lookAlikeScriptsOf(`Dup${CYRILLIC_O}nt`)).toEqual(['Latin', 'Cyrillic']);
    expect(lookAlikeScriptsOf('Παπαδόπουλος')).toEqual(['Greek']);
    expect(lookAlikeScriptsOf("- ' 12")).toEqual([]);
  });

  it('refuses a mixed name inside a contained Patient or a Bundle entry too (a source patient snapshot)', () => {
    const doc = { resourceType: 'DocumentReference', contained: [person(`Dup${CYRILLIC_O}nt`)] } as never;
    expect(checkDisplayedText(doc).map((i) => i.expression?.[0])).toEqual(['DocumentReference.contained[0].name[0]']);
  });

  it('holds only a Patient\'s identity names to Latin letters', () => {
    expect(checkDisplayedText(person('Иванова', 'official', 'Мария')).map((i) => i.diagnostics)).toEqual([expect.stringContaining('Latin letters')]);
    expect(checkDisplayedText(person('Иванова', 'usual', 'Мария'))).toEqual([]);
    // Across the parts of one name too: a Cyrillic family name with a Latin given name mixes them.
    expect(checkDisplayedText(person('Иванова', 'usual', 'Marie'))).toHaveLength(1);
    expect(checkDisplayedText({ resourceType: 'Practitioner', name: [{ use: 'official', family: 'Иванова' }] })).toEqual([]);
  });
});

describe('identity comparisons', () => {
  it('a look-alike spelling is not the name it imitates', () => {
    expect(traitConflicts(person(`DUP${CYRILLIC_O.toUpperCase()}NT`), person('DUPONT')).map((c) => c.trait)).toEqual(['birthName']);
  });

  it('a record holding a mixed name (stored before the rule) agrees with nobody, not even the same spelling', () => {
    const mixed = `DUP${CYRILLIC_O.toUpperCase()}NT`;
    expect(traitConflicts(person(mixed), person(mixed)).map((c) => c.trait)).toEqual(['birthName']);
    expect(traitConflicts(person('Dupont'), person('DUPONT'))).toEqual([]);
  });
});
