import type { Bundle, Resource } from '@medplum/fhirtypes';
import { createValidator } from '../../../src/validation';
import { toFhirPath } from '../../../src/validation/schema-issues';

const validator = createValidator();
const validate = (resource: unknown) => validator.validate(resource as Resource);
const expressions = (resource: unknown) => validate(resource).map((i) => i.expression?.[0]);

describe('structural validation against the FHIR R4 JSON schema', () => {
  it('turns JSON pointers into FHIRPath expressions', () => {
    expect(toFhirPath('Patient', '')).toBe('Patient');
    expect(toFhirPath('Patient', '/name/0/given/1')).toBe('Patient.name[0].given[1]');
    expect(toFhirPath('Bundle', '/entry/2/resource/status')).toBe('Bundle.entry[2].resource.status');
  });

  it('reports every problem of an invalid Patient, each at its own expression', () => {
    const issues = validate({
      resourceType: 'Patient',
      name: [{ family: 'DUPONT', given: ['Marie', 3], nickname: 'Mimi' }],
      gender: 'femme',
      birthDate: '1979-13-01',
      active: 'yes',
      favouriteColour: 'blue',
    });
    expect(issues.map((i) => [i.code, i.expression?.[0]]).sort()).toEqual(
      [
        ['structure', 'Patient.active'],
        ['structure', 'Patient.favouriteColour'],
        ['structure', 'Patient.name[0].given[1]'],
        ['structure', 'Patient.name[0].nickname'],
        ['value', 'Patient.birthDate'],
        ['value', 'Patient.gender'],
      ].sort(),
    );
    expect(issues.every((i) => i.severity === 'error')).toBe(true);
  });

  it('explains each problem in words a client developer can act on', () => {
    const byPath = Object.fromEntries(
      validate({ resourceType: 'Patient', gender: 'femme', birthDate: '1979-13-01', colour: 'blue', active: 'yes' }).map((i) => [
        i.expression?.[0],
        i.diagnostics,
      ]),
    );
    expect(byPath['Patient.gender']).toBe("Invalid value 'femme'; expected one of: male, female, other, unknown");
    expect(byPath['Patient.birthDate']).toBe("Invalid date '1979-13-01'");
    expect(byPath['Patient.colour']).toBe("Unknown property 'colour'");
    expect(byPath['Patient.active']).toBe('Expected boolean, found string');
  });

  it('reports missing required elements with code required', () => {
    const issues = validate({ resourceType: 'Observation', subject: { reference: 'Patient/1' } });
    expect(issues).toEqual([
      { severity: 'error', code: 'required', diagnostics: "Missing required property 'code'", expression: ['Observation.code'] },
      { severity: 'error', code: 'required', diagnostics: "Missing required property 'status'", expression: ['Observation.status'] },
    ]);
  });

  it('reports problems inside contained resources with their path', () => {
    expect(
      expressions({
        resourceType: 'DocumentReference',
        status: 'current',
        subject: { reference: 'Patient/1' },
        contained: [{ resourceType: 'Practitioner', id: 'a', name: [{ family: 'MARTIN', surname: 'x' }] }],
        content: [{ attachment: { contentType: 'application/pdf', url: 'Binary/1' } }],
      }),
    ).toEqual(['DocumentReference.contained[0].name[0].surname']);
  });

  it('reports problems inside Bundle entries, and only for the entry resource type', () => {
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { resource: { resourceType: 'Binary', contentType: 'text/plain', data: 'aGVsbG8=' }, request: { method: 'POST', url: 'Binary' } },
        { resource: { resourceType: 'Observation', status: 'done' } as unknown as Resource, request: { method: 'POST', url: 'Observation' } },
      ],
    };
    expect(expressions(bundle).sort()).toEqual(['Bundle.entry[1].resource.code', 'Bundle.entry[1].resource.status']);
  });

  it('rejects an unknown resource type and Medplum-only types', () => {
    expect(validate({ resourceType: 'Spaceship' })).toEqual([
      { severity: 'error', code: 'invalid', diagnostics: "Unknown resource type 'Spaceship'", expression: ['Spaceship.resourceType'] },
    ]);
    expect(validate({ resourceType: 'Project', name: 'x' })[0].diagnostics).toBe("Unknown resource type 'Project'");
  });

  it('reports a missing resourceType once', () => {
    expect(validate({ id: 'x' })).toEqual([
      { severity: 'error', code: 'required', diagnostics: "Missing required property 'resourceType'", expression: ['Resource.resourceType'] },
    ]);
  });

  it('accepts primitive extensions and choice types', () => {
    expect(
      validate({
        resourceType: 'Observation',
        status: 'final',
        code: { text: 'Poids' },
        _status: { extension: [{ url: 'http://example.org/x', valueString: 'y' }] },
        valueQuantity: { value: 62.5, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
      }),
    ).toEqual([]);
  });

  it('cuts long values short in diagnostics', () => {
    const [issue] = validate({ resourceType: 'Patient', gender: 'x'.repeat(500) });
    expect(issue.diagnostics!.length).toBeLessThan(200);
  });
});

describe('required elements the JSON schema leaves out', () => {
  it('reports missing required primitives, at any depth', () => {
    expect(
      expressions({
        resourceType: 'AuditEvent',
        type: { code: 'rest' },
        source: { observer: { display: 'dmp-fhir-adapter' } },
        agent: [{ who: { display: 'Dr MARTIN' } }],
      }).sort(),
    ).toEqual(['AuditEvent.agent[0].requestor', 'AuditEvent.recorded']);
    expect(expressions({ resourceType: 'Bundle', type: 'batch', entry: [{ request: { url: 'Patient' } }] })).toEqual(['Bundle.entry[0].request.method']);
  });

  it('accepts a required primitive given only through its extension', () => {
    expect(expressions({ resourceType: 'Observation', code: { text: 'x' }, _status: { extension: [{ url: 'http://example.org/x', valueCode: 'final' }] } })).toEqual([]);
  });

  it('reports a missing required choice once, as the choice name', () => {
    expect(validate({ resourceType: 'MedicationStatement', status: 'active', subject: { reference: 'Patient/1' } })).toEqual([
      { severity: 'error', code: 'required', diagnostics: "Missing required property 'medication[x]'", expression: ['MedicationStatement.medication'] },
    ]);
  });
});
