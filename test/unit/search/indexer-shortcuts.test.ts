import fs from 'node:fs';
import path from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { expressionRoots, searchParam } from '../../../src/fhir/search-registry';
import { checkIndexRowShortcuts, filesUnder, mappedResources } from './index-row-checks';

// The indexer's two shortcuts (index-row-checks.ts) change no index row: on every resource we write ourselves
// (fixtures/fhir, the resources mapped from fixtures/cda, edge shapes). The same checks run on the resources mapped
// from the public CDA examples in test/examples/indexer-shortcuts.test.ts (`npm run test:examples`).

const root = path.resolve(__dirname, '../../..');
const fixtures = filesUnder(path.join(root, 'fixtures/fhir'), '.json').map((f) => JSON.parse(fs.readFileSync(f, 'utf8')) as Resource);
const mapped = filesUnder(path.join(root, 'fixtures/cda'), '.xml').flatMap(mappedResources);

/** Shapes the corpus lacks: primitive extensions, contained and logical references, components, choice types. */
const edges = [
  { resourceType: 'Patient', id: 'e1', birthDate: '1970-01-01', _birthDate: { extension: [{ url: 'http://example.org/x', valueString: 'y' }] }, _gender: { extension: [{ url: 'http://example.org/x', valueString: 'absent' }] }, telecom: [{ system: 'email', value: 'A@B.fr' }, { system: 'phone', value: '0102030405' }], name: [{ family: 'Dupont', given: ['Ana', 'Maria'] }], deceasedBoolean: false },
  { resourceType: 'Observation', id: 'e2', status: 'final', code: { text: 'BP', coding: [{ system: 'http://loinc.org', code: '85354-9', display: 'BP' }, { system: 'http://loinc.org', code: '85354-9', display: 'BP' }] }, subject: { reference: '#p' }, contained: [{ resourceType: 'Patient', id: 'p' }], effectivePeriod: { start: '2024-01-01', end: '2024-01-02' }, component: [{ code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] }, valueQuantity: { value: 120, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } }, { code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] }, valueCodeableConcept: { text: 'high' } }], performer: [{ type: 'Practitioner', identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: '810001' } }, { reference: 'https://example.org/fhir/Organization/o1' }] },
  { resourceType: 'DocumentReference', id: 'e3', status: 'current', subject: { reference: 'Group/g1' }, content: [{ attachment: { contentType: 'application/pdf', url: 'Binary/b1' } }], relatesTo: [{ code: 'replaces', target: { reference: 'DocumentReference/d0' } }], context: { related: [{ reference: 'Patient/p2' }, { identifier: { value: 'x' } }] } },
  { resourceType: 'Condition', id: 'e4', subject: { reference: 'Patient/p1' }, onsetAge: { value: 40, unit: 'a' }, abatementString: 'later', code: { coding: [{ code: 'no-system' }] } },
] as Resource[];

test('the corpus is large enough to mean something', () => {
  expect(fixtures.length).toBeGreaterThanOrEqual(10);
  expect(new Set(mapped.map((r) => r.resourceType)).size).toBeGreaterThanOrEqual(10);
});

checkIndexRowShortcuts([...fixtures, ...mapped, ...edges]);

test('parameters answered by others: unions of parameters and references restricted to a type', () => {
  expect(searchParam('Observation', 'combo-code')?.sources).toEqual({ codes: ['code', 'component-code'] });
  expect(searchParam('Observation', 'combo-value-quantity')?.sources?.codes.sort()).toEqual(['component-value-quantity', 'value-quantity']);
  expect(searchParam('Observation', 'patient')?.sources).toEqual({ codes: ['subject'], targetType: 'Patient' });
  expect(searchParam('Observation', 'code')?.sources).toBeUndefined();
  // masterIdentifier has no parameter of its own: `identifier` keeps its rows.
  expect(searchParam('DocumentReference', 'identifier')?.sources).toBeUndefined();
});

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
