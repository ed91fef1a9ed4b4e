import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DocumentReference, Patient, Resource } from '@medplum/fhirtypes';
import { createValidator, DMP_PATIENT_PROFILE, explainInsProblem } from '../../../src/validation';

const FIXTURES = join(__dirname, '..', '..', '..', 'fixtures', 'fhir');
const fixture = <T extends Resource>(file: string): T => JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as T;
const validator = createValidator();
const issuesAt = (resource: Resource) => validator.validate(resource).map((i) => [i.code, i.expression?.[0]]);

/** Builds a well-formed INS from its 13 first characters, for the Corsican cases. */
function withKey(body: string): string {
  const numeric = body.replace(/^(\d{5})2A/, '$119').replace(/^(\d{5})2B/, '$118');
  return body + String(97 - Number(BigInt(numeric) % 97n)).padStart(2, '0');
}

describe('INS control key', () => {
  it('accepts the public test INS 279035121518989', () => {
    expect(explainInsProblem('279035121518989')).toBeUndefined();
  });

  it('accepts another published NIR example', () => {
    expect(explainInsProblem('255081416802538')).toBeUndefined();
  });

  it('rejects a wrong key and says which key was expected', () => {
    expect(explainInsProblem('279035121518988')).toBe('INS control key 88 does not match the number (expected 89)');
  });

  it('reads Corsica 2A as 19 and 2B as 18 when computing the key', () => {
    const corseDuSud = withKey('185062A004012');
    const hauteCorse = withKey('185062B033012');
    expect(explainInsProblem(corseDuSud)).toBeUndefined();
    expect(explainInsProblem(hauteCorse)).toBeUndefined();
    // The same key computed with A/B read as 0 would be different: the substitution matters.
    expect(corseDuSud.slice(13)).not.toBe(withKey('1850620004012').slice(13));
  });

  it('rejects wrong lengths and letters outside the Corsican birthplace', () => {
    expect(explainInsProblem('27903512151898')).toMatch(/15 characters/);
    expect(explainInsProblem('2790351215189890')).toMatch(/15 characters/);
    expect(explainInsProblem('2790351215X8989')).toMatch(/digits/);
    expect(explainInsProblem('2A9035121518989')).toMatch(/digits/);
  });
});

describe('DMP Patient profile and INS rules', () => {
  const marie = fixture<Patient>('Patient-ins-test.json');

  it('accepts the test INS identity claiming the profile', () => {
    expect(marie.meta?.profile).toContain(DMP_PATIENT_PROFILE);
    expect(validator.validate(marie)).toEqual([]);
  });

  it('rejects a malformed INS on any Patient carrying one, at the identifier value', () => {
    const patient: Patient = { ...marie, meta: undefined, identifier: [marie.identifier![1], { system: 'urn:oid:1.2.250.1.213.1.4.8', value: '279035121518988' }] };
    expect(issuesAt(patient)).toEqual([['value', 'Patient.identifier[1].value']]);
  });

  it('requires a family name, gender and birth date when an INS is carried, even unclaimed', () => {
    const patient: Patient = { resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.250.1.213.1.4.9', value: '279035121518989' }], name: [{ given: ['Marie'] }] };
    expect(issuesAt(patient)).toEqual([
      ['invariant', 'Patient.name[0]'],
      ['required', 'Patient.gender'],
      ['required', 'Patient.birthDate'],
    ]);
  });

  it('requires an INS identifier when the profile is claimed', () => {
    const patient: Patient = { ...marie, identifier: [marie.identifier![1]] };
    const issues = validator.validate(patient);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'invariant', expression: ['Patient.identifier'] });
    expect(issues[0].diagnostics).toMatch(/dmp-pat-1.*INS identifier.*DmpPatient/);
  });

  it('reports schema, INS and profile problems together', () => {
    const patient = { resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.250.1.213.1.4.10', value: '123' }], name: [{ family: 'DUPONT' }], gender: 'F', birthDate: '1979-03-15' };
    expect(issuesAt(patient as Resource)).toEqual([
      ['value', 'Patient.gender'],
      ['value', 'Patient.identifier[0].value'],
    ]);
  });

  it('leaves a Patient without INS and without the claim alone', () => {
    expect(validator.validate({ resourceType: 'Patient', name: [{ given: ['Anonyme'] }] })).toEqual([]);
  });

  it('does not check INS traits of contained source-patient snapshots (IHE sourcePatientInfo)', () => {
    const doc = fixture<DocumentReference>('DocumentReference-superseded.json');
    expect(doc.contained?.[0]).toMatchObject({ resourceType: 'Patient' });
    expect(validator.validate(doc)).toEqual([]);
  });

  it('refuses a profile claimed on the wrong resource type', () => {
    expect(issuesAt({ resourceType: 'Practitioner', meta: { profile: [DMP_PATIENT_PROFILE] } })).toEqual([
      ['invalid', 'Practitioner.meta.profile[0]'],
    ]);
  });

  it('ignores profiles it does not know', () => {
    expect(validator.validate({ resourceType: 'Practitioner', meta: { profile: ['https://example.org/unknown'] } })).toEqual([]);
  });
});

describe('DMP DocumentReference profile (IHE MHD minimal metadata, lenient)', () => {
  it('accepts a simplified publish: conditional subject, inline data, no category, context, custodian or security label', () => {
    expect(validator.validate(fixture('DocumentReference-simplified-publish.json'))).toEqual([]);
  });

  it('accepts a comprehensive document with SNOMED facility codes, NOS labels and an unresolvable url', () => {
    expect(validator.validate(fixture('DocumentReference-superseded.json'))).toEqual([]);
  });

  it('requires a subject, a content type and inline or reachable content, on every DocumentReference', () => {
    const doc: DocumentReference = {
      resourceType: 'DocumentReference',
      status: 'current',
      content: [{ attachment: { contentType: 'application/pdf', url: 'Binary/1' } }, { attachment: { title: 'Sans contenu' } }],
    };
    expect(issuesAt(doc)).toEqual([
      ['invariant', 'DocumentReference.content'],
      ['required', 'DocumentReference.subject'],
      ['invariant', 'DocumentReference.content[1].attachment.contentType'],
    ]);
  });

  it('rejects inline content that is not base64', () => {
    const doc = fixture<DocumentReference>('DocumentReference-simplified-publish.json');
    doc.content[0].attachment.data = 'not base64!';
    expect(issuesAt(doc)).toEqual([['value', 'DocumentReference.content[0].attachment.data']]);
  });
});
