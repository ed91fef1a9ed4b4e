import fs from 'node:fs';
import path from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { planCdaImport } from '../../../src/cda';
import { expressionRoots } from '../../../src/fhir/search-registry';
import { computeIndexRows } from '../../../src/store/indexer';

// The indexer skips a parameter when the resource holds none of the elements its expression starts from.
// These tests pin that the skip never changes the index rows, on every resource we write ourselves and on the
// resources mapped from the public CDA examples.

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

test('the corpus is large enough to mean something', () => {
  expect(fixtures.length).toBeGreaterThanOrEqual(10);
  expect(new Set(mapped.map((r) => r.resourceType)).size).toBeGreaterThanOrEqual(5);
});

test.each([...fixtures, ...mapped].map((resource, n) => ({ name: `${n} ${resource.resourceType}`, resource })))(
  'skipping unheld parameters leaves the index rows of $name unchanged',
  ({ resource }) => {
    expect(computeIndexRows(resource)).toEqual(computeIndexRows(resource, { evaluateAll: true }));
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
