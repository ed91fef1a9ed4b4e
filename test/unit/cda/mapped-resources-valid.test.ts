import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DocumentReference } from '@medplum/fhirtypes';
import { generateLabReports } from '../../../bench/import-corpus';
import { createValidator } from '../../../src/validation';
import { invalidMappedResources, mappedResourcesOf } from './mapped-validity';

// The CDA import checks what it writes against the FHIR schema only: conformance to our profiles is the mapper's
// doing, not the sender's, so it is asserted here, with the full validator, on every document of our own fixtures
// (the public examples: test/examples/mapped-resources-valid.test.ts, `npm run test:examples`).

const FIXTURES = join(__dirname, '../../../fixtures/cda');
const fixtures = readdirSync(FIXTURES).filter((f) => f.endsWith('.xml')).sort();
const documents = [
  ...fixtures.map((file) => ({ name: `fixtures/cda/${file}`, bytes: readFileSync(join(FIXTURES, file)) })),
  ...generateLabReports(2, { run: '7', patients: 1 }).map((bytes, n) => ({ name: `generated lab report ${n}`, bytes })),
];

describe('resources mapped from CDA documents', () => {
  const validator = createValidator();

  it('come from every kind of document we map: lab, imaging, summary, level 1', () => {
    expect(fixtures).toEqual(expect.arrayContaining(['cr-bio-thyroid-panel.xml', 'cr-img-thorax.xml', 'vsm-synthese-medicale.xml', 'cr-bio-pdf-level1.xml']));
    const types = new Set(documents.flatMap(({ bytes }) => mappedResourcesOf(bytes).map((r) => r.resourceType)));
    expect([...types].sort()).toEqual(
      ['AllergyIntolerance', 'Binary', 'Condition', 'DiagnosticReport', 'DocumentReference', 'Encounter', 'ImagingStudy', 'Immunization', 'MedicationDispense', 'MedicationRequest', 'MedicationStatement', 'Observation', 'Organization', 'Practitioner', 'Procedure', 'Specimen'],
    );
  });

  it.each(documents)('$name maps only to resources valid against the FHIR schema and our profiles', ({ bytes }) => {
    expect(invalidMappedResources(validator, bytes)).toEqual([]);
  });

  it('would be caught breaking a profile rule the schema does not know', () => {
    const doc = mappedResourcesOf(documents[0].bytes).find((r): r is DocumentReference => r.resourceType === 'DocumentReference') as DocumentReference;
    delete doc.content[0].attachment.contentType;
    expect(validator.validate(doc, { profiles: false })).toEqual([]);
    expect(validator.validate(doc).map((i) => i.diagnostics)).toEqual([expect.stringContaining('dmp-doc-1')]);
  });
});
