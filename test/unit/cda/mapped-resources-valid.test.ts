import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { DocumentReference, Resource } from '@medplum/fhirtypes';
import { generateLabReports } from '../../../bench/import-corpus';
import { planCdaImport } from '../../../src/cda';
import { createValidator } from '../../../src/validation';

// The CDA import checks what it writes against the FHIR schema only: conformance to our profiles is the mapper's
// doing, not the sender's, so it is asserted here, with the full validator, on every document we can map.

const xmlUnder = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.xml')).map((f) => join(dir, f)) : []);
const ROOT = join(__dirname, '../../..');
const files = [join(ROOT, 'fixtures/cda'), join(ROOT, '../shared/cda/fr'), join(ROOT, '../shared/cda/us')].flatMap(xmlUnder);
const documents = [
  ...files.map((file) => ({ name: relative(join(ROOT, '..'), file), bytes: readFileSync(file) })),
  ...generateLabReports(2, { run: '7', patients: 1 }).map((bytes, n) => ({ name: `generated lab report ${n}`, bytes })),
];

const resourcesOf = (bytes: Buffer): Resource[] => (planCdaImport(bytes).bundle.entry ?? []).map((e) => e.resource as Resource);

describe('resources mapped from CDA documents', () => {
  const validator = createValidator();

  it('come from enough documents to mean something', () => {
    expect(documents.length).toBeGreaterThanOrEqual(15);
  });

  it.each(documents)('$name maps only to resources valid against the FHIR schema and our profiles', ({ bytes }) => {
    const invalid = resourcesOf(bytes)
      .map((resource) => ({ type: resource.resourceType, issues: validator.validate(resource) }))
      .filter((r) => r.issues.length > 0);
    expect(invalid).toEqual([]);
  });

  it('would be caught breaking a profile rule the schema does not know', () => {
    const doc = resourcesOf(documents[0].bytes).find((r): r is DocumentReference => r.resourceType === 'DocumentReference') as DocumentReference;
    delete doc.content[0].attachment.contentType;
    expect(validator.validate(doc, { profiles: false })).toEqual([]);
    expect(validator.validate(doc).map((i) => i.diagnostics)).toEqual([expect.stringContaining('dmp-doc-1')]);
  });
});
