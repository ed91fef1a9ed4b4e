import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { createValidator } from '../../../src/validation';

const FIXTURES = join(__dirname, '..', '..', '..', 'fixtures', 'fhir');
const files = readdirSync(FIXTURES).filter((f) => f.endsWith('.json'));
const load = (file: string): Resource => JSON.parse(readFileSync(join(FIXTURES, file), 'utf8')) as Resource;

describe('our French example resources', () => {
  const validator = createValidator();

  it('cover every resource type the server stores', () => {
    const types = new Set(files.map((f) => load(f).resourceType));
    expect([...types].sort()).toEqual(
      [
        'AllergyIntolerance',
        'AuditEvent',
        'Binary',
        'Consent',
        'DocumentReference',
        'Immunization',
        'List',
        'MedicationStatement',
        'Observation',
        'Organization',
        'Patient',
        'Practitioner',
        'PractitionerRole',
        'RelatedPerson',
      ].sort(),
    );
  });

  it.each(files)('%s is valid', (file) => {
    expect(validator.validate(load(file))).toEqual([]);
  });

  it.each(files)('%s is named <Type>-<name>.json after its resource type', (file) => {
    expect(file.startsWith(`${load(file).resourceType}-`)).toBe(true);
  });
});
