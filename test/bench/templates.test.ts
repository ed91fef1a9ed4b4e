import type { Resource } from '@medplum/fhirtypes';
import { Dataset } from '../../bench/dataset';
import { RowTemplate, slot } from '../../bench/templates';
import { loadDefinitions } from '../../src/fhir/search-registry';
import { deriveColumns } from '../../src/store/derived-columns';
import { computeIndexRows } from '../../src/store/indexer';
import { serialise } from '../../src/store/repository';

beforeAll(() => loadDefinitions());

const dataset = new Dataset({ patients: 1000, documents: 10_000 });
const samples = [
  ...[0, 1, 17, 999].map((n) => dataset.patient(n)),
  ...[0, 9].map((n) => dataset.practitioner(n)),
  ...[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 4567, 9999].map((n) => dataset.document(n)),
];

describe('bench row templates', () => {
  it.each(samples.map((row) => [`${row.type}/${row.id}`, row] as const))('fill %s with exactly the rows the server computes', (_name, row) => {
    const filled = row.template.fill(row.values);
    const resource = JSON.parse(filled.text) as Resource;
    expect(resource.id).toBe(row.id);
    expect(filled.text).not.toContain('zzq');
    expect(serialise(resource)).toBe(filled.text);
    expect(resource.meta?.lastUpdated).toBe(filled.lastUpdated);
    const index = computeIndexRows(resource);
    expect(filled.index).toEqual(index);
    expect(filled.columns).toEqual(deriveColumns(resource, index));
  });

  it('gives documents a patient, an author key and a confidentiality label', () => {
    const filled = dataset.document(4567).template.fill(dataset.document(4567).values);
    expect(filled.columns.compartment).toBe(JSON.parse(filled.text).subject.reference.slice('Patient/'.length));
    expect(filled.columns.authors).toHaveLength(2);
    expect(filled.columns.security.length).toBeGreaterThan(0);
    expect(filled.index.references.filter((r) => r.param === 'subject' && r.targetType === 'Patient')).toHaveLength(1);
  });

  it('spreads documents over many templates and increasing dates', () => {
    const docs = Array.from({ length: 200 }, (_, n) => dataset.document(n).template.fill(dataset.document(n).values));
    expect(new Set(docs.map((d) => JSON.parse(d.text).type.coding[0].code)).size).toBeGreaterThan(3);
    const updated = docs.map((d) => Date.parse(d.lastUpdated));
    expect(updated.every((t, i) => i === 0 || t > updated[i - 1])).toBe(true);
  });

  it('refuses a slot in a string parameter, whose normalised form it cannot derive', () => {
    expect(() => new RowTemplate({ resource: { resourceType: 'Practitioner', meta: { versionId: '1', lastUpdated: '2020-01-01T00:00:00.000Z' }, name: [{ family: slot('X') }] }, dates: [] })).toThrow(/string parameter/);
  });
});
