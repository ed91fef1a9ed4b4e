import fs from 'node:fs';
import path from 'node:path';
import type { Resource } from '@medplum/fhirtypes';
import { planCdaImport } from '../../../src/cda';
import { expressionRoots, searchParam, searchParams } from '../../../src/fhir/search-registry';
import { computeIndexRows, type IndexRows } from '../../../src/store/indexer';

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

type Row = { param: string; targetType?: string } & Record<string, unknown>;

/** Every index row of a resource, of every table, as comparable text without its parameter, by parameter. */
function rowsByParam(rows: IndexRows): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const row of Object.values(rows).flat() as Row[]) {
    const { param, ...value } = row;
    if (!out.has(param)) out.set(param, new Set());
    out.get(param)?.add(JSON.stringify(value));
  }
  return out;
}

const corpus = [...fixtures, ...mapped, ...edges].map((resource, n) => ({ name: `${n} ${resource.resourceType}`, resource }));

test.each(corpus)('the index rows of $name are those the interpreter gives, but for parameters answered by others', ({ resource }) => {
  const params = searchParams(resource.resourceType);
  const reference = computeIndexRows(resource, { reference: true });
  const own = (rows: Row[]): Row[] => rows.filter((row) => !params.get(row.param)?.sources);
  const expected = Object.fromEntries(Object.entries(reference).map(([table, rows]) => [table, own(rows as Row[])]));
  expect(computeIndexRows(resource)).toEqual(expected);
});

test.each(corpus)('the parameters of $name answered by others find exactly their values there', ({ resource }) => {
  const stored = rowsByParam(computeIndexRows(resource));
  const reference = rowsByParam(computeIndexRows(resource, { reference: true }));
  for (const def of searchParams(resource.resourceType).values()) {
    if (!def.sources) continue;
    const { codes, targetType } = def.sources;
    const found = codes.flatMap((code) => [...(stored.get(code) ?? [])]).filter((v) => !targetType || (JSON.parse(v) as Row).targetType === targetType);
    // A reference the server cannot type (a conditional one, left unresolved outside a transaction) matches no
    // search by target either way: the interpreter's row for it is of no target type.
    const expected = [...(reference.get(def.code) ?? [])].filter((v) => !targetType || (JSON.parse(v) as Row).targetType !== '');
    expect({ param: def.code, values: new Set(found) }).toEqual({ param: def.code, values: new Set(expected) });
  }
});

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
