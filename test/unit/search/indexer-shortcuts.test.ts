import fs from 'node:fs';
import path from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { planCdaImport } from '../../../src/cda';
import { expressionRoots } from '../../../src/fhir/search-registry';
import { computeIndexRows } from '../../../src/store/indexer';

// The indexer takes two shortcuts: it skips a parameter when the resource holds none of the elements its expression
// starts from, and it runs path expressions compiled rather than through the FHIRPath interpreter. These tests pin
// that neither changes the index rows, on every resource we write ourselves and on the resources mapped from the
// public CDA examples.

function filesUnder(dir: string, ext: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? filesUnder(full, ext) : e.name.endsWith(ext) ? [full] : [];
  });
}

function mappedResources(file: string): Resource[] {
  try {
    return (planCdaImport(fs.readFileSync(file)).bundle.entry ?? []).map((e) => e.resource as Resource);
  } catch {
    return []; // examples the importer refuses (4xx) map to nothing
  }
}

const root = path.resolve(__dirname, '../../..');
const fixtures = filesUnder(path.join(root, 'fixtures/fhir'), '.json').map((f) => JSON.parse(fs.readFileSync(f, 'utf8')) as Resource);
const cdaFiles = [...filesUnder(path.join(root, 'fixtures/cda'), '.xml'), ...filesUnder(path.join(root, '../shared/cda'), '.xml')];
const mapped = cdaFiles.flatMap(mappedResources);

/** Shapes the corpus lacks: primitive extensions, contained and logical references, components, choice types. */
const edges = [
  { resourceType: 'Patient', id: 'e1', birthDate: '1970-01-01', _birthDate: { extension: [{ url: 'http://example.org/x', valueString: 'y' }] }, _gender: { extension: [{ url: 'http://example.org/x', valueString: 'absent' }] }, telecom: [{ system: 'email', value: 'A@B.fr' }, { system: 'phone', value: '0102030405' }], name: [{ family: 'Dupont', given: ['Ana', 'Maria'] }], deceasedBoolean: false },
  { resourceType: 'Observation', id: 'e2', status: 'final', code: { text: 'BP', coding: [{ system: 'http://loinc.org', code: '85354-9', display: 'BP' }, { system: 'http://loinc.org', code: '85354-9', display: 'BP' }] }, subject: { reference: '#p' }, contained: [{ resourceType: 'Patient', id: 'p' }], effectivePeriod: { start: '2024-01-01', end: '2024-01-02' }, component: [{ code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: 120, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } }, { code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] }, valueCodeableConcept: { text: 'high' } }], performer: [{ type: 'Practitioner', identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: '810001' } }, { reference: 'https://example.org/fhir/Organization/o1' }] },
  { resourceType: 'DocumentReference', id: 'e3', status: 'current', subject: { reference: 'Group/g1' }, content: [{ attachment: { contentType: 'application/pdf', url: 'Binary/b1' } }], relatesTo: [{ code: 'replaces', target: { reference: 'DocumentReference/d0' } }], context: { related: [{ reference: 'Patient/p2' }, { identifier: { value: 'x' } }] } },
  { resourceType: 'Condition', id: 'e4', subject: { reference: 'Patient/p1' }, onsetAge: { value: 40, unit: 'a' }, abatementString: 'later', code: { coding: [{ code: 'no-system' }] } },
] as Resource[];

test('the corpus is large enough to mean something', () => {
  expect(fixtures.length).toBeGreaterThanOrEqual(10);
  expect(new Set(mapped.map((r) => r.resourceType)).size).toBeGreaterThanOrEqual(5);
});

test.each([...fixtures, ...mapped, ...edges].map((resource, n) => ({ name: `${n} ${resource.resourceType}`, resource })))(
  'the index rows of $name are those the interpreter gives',
  ({ resource }) => {
    expect(computeIndexRows(resource)).toEqual(computeIndexRows(resource, { reference: true }));
  },
);

describe('expression roots', () => {
  test.each([
    ['Observation', 'Observation.code', ['code']],
    ['Observation', '((Observation.value as Quantity) | (Observation.component.value as Quantity))', ['value', 'component']],
    ['Observation', '(Observation.value as CodeableConcept).text', ['value']],
    ['Patient', "Patient.telecom.where((system = 'email'))", ['telecom']],
    ['DocumentReference', 'DocumentReference.subject.where((resolve() is Patient))', ['subject']],
  ])('%s %s starts from %j', (type, expression, roots) => {
    expect(expressionRoots(type as string, expression as string)).toEqual(roots);
  });

  test.each([
    ['Patient', '(Patient.deceased.exists() and (Patient.deceased != false))'],
    ['Observation', 'Resource.meta.tag'],
    ['Observation', 'Observation.subject.where(%resource.status = \'final\')'],
    ['Observation', 'descendants().code'],
  ])('%s %s is always evaluated', (type, expression) => {
    expect(expressionRoots(type, expression)).toBeUndefined();
  });
});
