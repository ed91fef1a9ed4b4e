import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateResource } from '@medplum/core';
import type { Binary, Patient, Resource, StructureDefinition } from '@medplum/fhirtypes';
import { FhirError } from '../../../src/fhir/errors';
import { assertValid, createValidator, DMP_DOCUMENT_REFERENCE_PROFILE, DMP_PATIENT_PROFILE, profilesByType } from '../../../src/validation';
import { isBase64 } from '../../../src/validation/base64';
import { loadProfiles } from '../../../src/validation/profile-loader';

describe('createValidator', () => {
  it('compiles once: a second validator is built almost instantly', () => {
    createValidator();
    const started = performance.now();
    createValidator();
    expect(performance.now() - started).toBeLessThan(50);
  });

  it('lists the profiles it loaded, for the CapabilityStatement', () => {
    expect(createValidator().profiles).toEqual(
      expect.arrayContaining([
        { url: DMP_PATIENT_PROFILE, type: 'Patient' },
        { url: DMP_DOCUMENT_REFERENCE_PROFILE, type: 'DocumentReference' },
      ]),
    );
  });

  it('groups profiles by resource type for AppOptions.profiles', () => {
    expect(profilesByType(createValidator())).toMatchObject({ Patient: [DMP_PATIENT_PROFILE], DocumentReference: [DMP_DOCUMENT_REFERENCE_PROFILE] });
  });

  it('finds the same problems as @medplum/core validateResource with the profile', () => {
    const validator = createValidator();
    const dmpPatient = loadProfiles().find((p) => p.url === DMP_PATIENT_PROFILE)!.definition;
    const patient: Patient = { resourceType: 'Patient', meta: { profile: [DMP_PATIENT_PROFILE] }, name: [{ given: ['Marie'] }] };
    let official: string[] = [];
    try {
      validateResource(patient, { profile: dmpPatient });
    } catch (err) {
      official = (err as { outcome: { issue: { expression: string[] }[] } }).outcome.issue.map((i) => i.expression[0]);
    }
    expect(validator.validate(patient).map((i) => i.expression?.[0])).toEqual(official.map((e) => (e === 'Patient' ? 'Patient.identifier' : e)));
  });

});

describe('assertValid', () => {
  it('throws a 422 FhirError whose OperationOutcome lists every issue', () => {
    let thrown: unknown;
    try {
      assertValid({ resourceType: 'Observation', status: 'bogus' } as unknown as Resource);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(FhirError);
    const error = thrown as FhirError;
    expect(error.status).toBe(422);
    expect(error.outcome.issue.map((i) => i.expression?.[0]).sort()).toEqual(['Observation.code', 'Observation.status']);
  });

  it('returns quietly for a valid resource', () => {
    expect(() => assertValid({ resourceType: 'Binary', contentType: 'text/plain', data: 'aGVsbG8=' })).not.toThrow();
  });
});

describe('Binary', () => {
  const validator = createValidator();

  it('validates a 20 MB Binary in well under a second', () => {
    const data = Buffer.alloc(20 * 1024 * 1024, 7).toString('base64');
    const binary: Binary = { resourceType: 'Binary', contentType: 'application/pdf', data };
    const started = performance.now();
    expect(validator.validate(binary)).toEqual([]);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("checks a transaction's Binary once, not at each of its three passes, and again once its data changed", () => {
    // The Bundle's shape check, the entry's dispatch and the handler's validation with profiles see the same object.
    const binary: Binary = { resourceType: 'Binary', contentType: 'application/pdf', data: Buffer.alloc(20 * 1024 * 1024, 7).toString('base64') };
    const first = performance.now();
    expect(validator.validate(binary, { profiles: false })).toEqual([]);
    const once = performance.now() - first;
    const again = performance.now();
    for (let i = 0; i < 10; i++) expect(validator.validate(binary)).toEqual([]);
    // Ten passes remembered cost less than the one that decoded 20 MB (a schema pass is ~0.1 ms; the check ~20–60 ms).
    expect(performance.now() - again).toBeLessThan(once);
    // The same holder with other data is checked again: a valid first answer vouches only for that string.
    binary.data = `${(binary.data as string).slice(0, -4)}a$c=`;
    expect(validator.validate(binary).map((i) => i.expression?.[0])).toEqual(['Binary.data']);
    const attachment = { contentType: 'application/pdf', data: 'aGVsbG8=' };
    const doc = { resourceType: 'DocumentReference', status: 'current', content: [{ attachment }] } as Resource;
    expect(validator.validate(doc, { profiles: false })).toEqual([]);
    attachment.data = 'aGVs*G8=';
    expect(validator.validate(doc, { profiles: false }).map((i) => i.expression?.[0])).toEqual(['DocumentReference.content[0].attachment.data']);
  });

  it('rejects data that is not base64, and still checks the other elements', () => {
    const issues = validator.validate({ resourceType: 'Binary', data: 'abc$' } as Binary);
    expect(issues.map((i) => [i.code, i.expression?.[0]])).toEqual([
      ['required', 'Binary.contentType'],
      ['value', 'Binary.data'],
    ]);
  });

  it('rejects data that is not a string', () => {
    expect(validator.validate({ resourceType: 'Binary', contentType: 'text/plain', data: 42 } as unknown as Binary)).toEqual([
      { severity: 'error', code: 'structure', diagnostics: 'Expected string (base64)', expression: ['Binary.data'] },
    ]);
  });
});

describe('isBase64', () => {
  it.each([
    ['', true],
    ['aGVsbG8=', true],
    ['aGVsbG8gd29ybGQ=', true],
    ['aGVs\r\nbG8=', true],
    ['aGVsbG9=', true],
    ['aGVsbG8', false],
    ['aGVs*G8=', false],
    ['aG=VsbG8', false],
    ['aGVsbG8===', false],
  ])('%j → %s', (text, expected) => {
    expect(isBase64(text)).toBe(expected);
  });
});

describe('profiles from another directory', () => {
  function profileDir(profile: Partial<StructureDefinition>): string {
    const dir = mkdtempSync(join(tmpdir(), 'profiles-'));
    writeFileSync(join(dir, 'p.json'), JSON.stringify({ resourceType: 'StructureDefinition', status: 'draft', kind: 'resource', abstract: false, derivation: 'constraint', ...profile }));
    return dir;
  }

  it('builds the snapshot from the differential and applies it when claimed', () => {
    const url = 'https://example.org/StructureDefinition/practitioner-with-name';
    const dir = profileDir({
      url,
      name: 'PractitionerWithName',
      type: 'Practitioner',
      baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Practitioner',
      differential: { element: [{ id: 'Practitioner.name', path: 'Practitioner.name', min: 1 }] },
    });
    const validator = createValidator({ profilesDir: dir });
    expect(validator.profiles).toEqual([{ url, type: 'Practitioner' }]);
    expect(validator.validate({ resourceType: 'Practitioner', meta: { profile: [url] } }).map((i) => i.expression?.[0])).toEqual(['Practitioner.name']);
    expect(validator.validate({ resourceType: 'Practitioner' })).toEqual([]);
  });

  it('refuses, naming the file, a differential it cannot turn into a snapshot', () => {
    const dir = profileDir({
      url: 'https://example.org/StructureDefinition/sliced',
      name: 'Sliced',
      type: 'Patient',
      baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Patient',
      differential: { element: [{ id: 'Patient.identifier:ins', path: 'Patient.identifier', sliceName: 'ins' }] },
    });
    expect(() => createValidator({ profilesDir: dir })).toThrow(/p\.json: element 'Patient\.identifier:ins'/);
  });

  it('treats a missing directory as no profiles', () => {
    expect(createValidator({ profilesDir: join(tmpdir(), 'no-such-profiles-dir') }).profiles).toEqual([]);
  });
});
