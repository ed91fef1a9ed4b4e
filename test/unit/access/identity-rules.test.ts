import type { Patient } from '@medplum/fhirtypes';
import { findInsProblems } from '../../../src/access/ins-entry-check';
import { changedIdentityTraits } from '../../../src/access/identity-traits';
import { applyIdentityChange, parseIdentityChange } from '../../../src/access/update-identity-operation';
import { buildNotice } from '../../../src/notify/messages';

const NIR = 'urn:oid:1.2.250.1.213.1.4.8';
const base: Patient = {
  resourceType: 'Patient',
  identifier: [{ system: NIR, value: '279035121518989' }, { system: 'urn:oid:1.2.3.4', value: 'IPP-1' }],
  name: [{ use: 'official', family: 'MARTIN', given: ['Claire'] }, { use: 'usual', family: 'DUPONT' }],
  gender: 'female',
  birthDate: '1979-03-21',
};

describe('identity traits', () => {
  test('names the INS, other identifiers, birth date, gender and official names as traits; usual names are not', () => {
    expect(changedIdentityTraits(base, { ...base, name: [base.name![0], { use: 'usual', family: 'DURAND' }] })).toEqual([]);
    // A local identifier finds the record as the INS does (attack sweep 6): adding or removing one is an identity change.
    expect(changedIdentityTraits(base, { ...base, identifier: [base.identifier![0]] })).toEqual(['identifier (other than the INS)']);
    expect(changedIdentityTraits(base, { ...base, identifier: [{ system: NIR, value: '180012100100107' }, base.identifier![1]] })).toEqual(['identifier (INS)']);
    expect(changedIdentityTraits(base, { ...base, birthDate: '1979-03-22', gender: 'male' })).toEqual(['birthDate', 'gender']);
    expect(changedIdentityTraits(base, { ...base, name: [{ use: 'official', family: 'MARTINE', given: ['Claire'] }] })).toEqual(['name (official / maiden)']);
  });

  test('an identity change replaces the INS identifiers and the official names, keeping the rest', () => {
    const change = parseIdentityChange({
      resourceType: 'Parameters',
      parameter: [
        { name: 'identifier', valueIdentifier: { system: NIR, value: '180012100100107' } },
        { name: 'name', valueHumanName: { family: 'MARTINEZ', given: ['Claire'] } },
        { name: 'reason', valueString: 'acte de naissance' },
      ],
    });
    const next = applyIdentityChange(base, change);
    expect(next.identifier).toEqual([{ system: 'urn:oid:1.2.3.4', value: 'IPP-1' }, { system: NIR, value: '180012100100107' }]);
    expect(next.name).toEqual([{ use: 'usual', family: 'DUPONT' }, { use: 'official', family: 'MARTINEZ', given: ['Claire'] }]);
  });

  test('an identity change with a wrong INS key is a 422 naming the parameter; without a reason a 400', () => {
    const wrong = { resourceType: 'Parameters', parameter: [{ name: 'identifier', valueIdentifier: { system: NIR, value: '279035121518988' } }, { name: 'reason', valueString: 'x' }] };
    expect(() => parseIdentityChange(wrong)).toThrow(expect.objectContaining({ status: 422 }));
    expect(() => parseIdentityChange({ resourceType: 'Parameters', parameter: [{ name: 'gender', valueCode: 'male' }] })).toThrow(expect.objectContaining({ status: 400 }));
  });
});

describe('INS in written bodies', () => {
  test('finds a wrong key in identifiers, contained Patients, conditional references and entry URLs, with their paths', () => {
    const bundle = {
      resourceType: 'Bundle',
      entry: [
        { resource: { resourceType: 'DocumentReference', contained: [{ resourceType: 'Patient', identifier: [{ system: NIR, value: '279035121518988' }] }], subject: { reference: `Patient?identifier=${NIR}|279035121518988` } } },
        { request: { method: 'PUT', url: `Patient?identifier=${NIR}|279035121518988` } },
        { resource: { resourceType: 'List', subject: { identifier: { system: NIR, value: '279035121518989' } } } },
      ],
    };
    const issues = findInsProblems(bundle, 'Bundle');
    expect(issues.map((i) => i.expression?.[0])).toEqual([
      'Bundle.entry[0].resource.contained[0].identifier[0].value',
      'Bundle.entry[0].resource.subject.reference',
      'Bundle.entry[1].request.url',
    ]);
    expect(issues[0].diagnostics).toContain(`${NIR}|279035121518988`);
  });
});

describe('the identity-corrected notice', () => {
  test('is in French, with the time in Europe/Paris and who corrected, and no identity or health data', () => {
    const text = buildNotice('identity-corrected', { at: new Date('2026-07-01T10:05:00Z'), who: "l'Assurance Maladie" }, 'https://www.monespacesante.fr');
    expect(text.subject).toBe("Correction de l'identité de votre dossier médical partagé");
    expect(text.body).toContain("a été corrigée le 1 juillet 2026 à 12:05 par l'Assurance Maladie");
    expect(text.body).not.toMatch(/\d{13}/);
  });
});
