import type { DiagnosticReport, Observation, Specimen } from '@medplum/fhirtypes';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { planCdaImport } from '../../../src/cda';
import { resourcesOf } from './summarize-plan';

// Facts read from fixtures/cda/cr-bio-microbiologie.xml: a urine culture growing Escherichia coli.
describe('a microbiology report keeps the organism identified and the sample it grew from', () => {
  const { bundle } = planCdaImport(readFileSync(join(__dirname, '../../../fixtures/cda/cr-bio-microbiologie.xml')));
  const observations = resourcesOf<Observation>(bundle, 'Observation');
  const byCode = (code: string) => observations.find((o) => o.code.coding?.[0].code === code) as Observation;
  const specimens = resourcesOf<Specimen>(bundle, 'Specimen');

  it('records the organism as the value of an "organism identified" Observation holding the count and the antibiogram', () => {
    const isolate = byCode('41852-5');
    expect(isolate.valueCodeableConcept?.coding?.[0]).toMatchObject({ system: 'http://snomed.info/sct', code: '112283007' });
    expect(isolate.hasMember).toHaveLength(2);
    expect(isolate.effectiveDateTime).toBe('2024-01-16T15:00:00+01:00');
  });

  it('keeps the sample (urine) as the only Specimen, with its identifier and times, and never the organism', () => {
    expect(specimens).toHaveLength(1);
    expect(specimens[0].type?.coding?.[0].code).toBe('UR');
    expect(specimens[0].accessionIdentifier).toEqual({ system: 'urn:oid:1.2.250.1.999.1.1.8.200', value: 'ECH-0001' });
    expect(specimens[0].collection?.collectedDateTime).toBe('2024-01-15T07:35:00+01:00');
    expect(specimens[0].receivedTime).toBe('2024-01-15T07:52:00+01:00');
    const url = bundle.entry?.find((e) => e.resource === specimens[0])?.fullUrl;
    expect(byCode('51480-2').specimen?.reference).toBe(url);
    expect(resourcesOf<DiagnosticReport>(bundle, 'DiagnosticReport')[0].specimen).toEqual([{ reference: url }]);
  });

  it('gives susceptibilities their comparator: >= 8 (inclusive) resistant, < 0.128 (exclusive) intermediate', () => {
    expect(byCode('20-8').valueQuantity).toMatchObject({ comparator: '>=', value: 8, unit: 'ug/mL' });
    expect(byCode('20-8').interpretation?.[0].coding?.[0].code).toBe('R');
    expect(byCode('28-1').valueQuantity).toMatchObject({ comparator: '<', value: 0.128 });
    expect(byCode('28-1').interpretation?.[0].coding?.[0].code).toBe('I');
  });
});
