import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Bundle, DocumentReference, Resource } from '@medplum/fhirtypes';
import { planCdaImport } from '../../src/cda';
import { SOURCE_DOCUMENT_EXTENSION } from '../../src/cda/code-systems';
import { resourcesOf } from '../unit/cda/summarize-plan';
import { checkFacts, type ExpectedFacts } from './facts-check';
import { EXPECTED, listPublicExamples, publicExamplesPresent } from './public-examples';

const examples = listPublicExamples();

describe('CDA examples from ../shared/cda', () => {
  if (!publicExamplesPresent('the mapping of the public examples')) return;

  it('finds the shared examples', () => {
    expect(examples.length).toBeGreaterThanOrEqual(13);
  });

  describe.each(examples)('$dir/$file', ({ file, path }) => {
    const bytes = readFileSync(path);
    const plan = planCdaImport(bytes);
    const expectedPath = join(EXPECTED, `${file.replace(/\.xml$/, '')}.json`);

    // The facts were written by a person reading the XML (test/examples/expected/README.md); there is no way to
    // regenerate them from our output. When the mapping disagrees with them, the mapping is what gets fixed.
    it('says what a reader of the XML finds in it (test/examples/expected)', () => {
      const expected = JSON.parse(readFileSync(expectedPath, 'utf8')) as ExpectedFacts;
      expect(checkFacts(plan, expected)).toEqual([]);
    });

    it('stores the received bytes unchanged in the document Binary, hash and size matching', () => {
      const dr = resourcesOf<DocumentReference>(plan.bundle, 'DocumentReference')[0];
      const binaryEntry = plan.bundle.entry?.find((e) => e.fullUrl === dr.content[0].attachment.url);
      const data = (binaryEntry?.resource as { data?: string }).data ?? '';
      expect(Buffer.from(data, 'base64').equals(bytes)).toBe(true);
      expect(dr.content[0].attachment.size).toBe(bytes.length);
      expect(dr.content[0].attachment.hash).toBe(plan.sha1);
    });

    it('links every extracted resource to its source document and to the patient', () => {
      const dr = plan.bundle.entry?.find((e) => e.resource?.resourceType === 'DocumentReference');
      const extracted = extractedResources(plan.bundle);
      for (const r of extracted) {
        const ext = (r as { extension?: { url: string; valueReference?: { reference?: string } }[] }).extension;
        expect(ext?.find((e) => e.url === SOURCE_DOCUMENT_EXTENSION)?.valueReference?.reference).toBe(dr?.fullUrl);
        const subject = (r as { subject?: { reference?: string }; patient?: { reference?: string } }).subject ?? (r as { patient?: { reference?: string } }).patient;
        expect(subject?.reference).toBe(`Patient?identifier=${plan.patientIdentifiers[0].system}|${plan.patientIdentifiers[0].value}`);
      }
    });

    it('resolves every urn:uuid reference to an entry of the bundle and never duplicates a conditional create', () => {
      const fullUrls = new Set(plan.bundle.entry?.map((e) => e.fullUrl));
      const refs = JSON.stringify(plan.bundle).match(/"reference":"urn:uuid:[0-9a-f-]+"/g) ?? [];
      for (const ref of refs) expect(fullUrls.has(ref.slice(13, -1))).toBe(true);
      const searches = plan.bundle.entry?.map((e) => e.request?.ifNoneExist && `${e.request.url}?${e.request.ifNoneExist}`).filter(Boolean);
      expect(new Set(searches).size).toBe(searches?.length);
    });
  });
});

function extractedResources(bundle: Bundle): Resource[] {
  const shared = ['DocumentReference', 'Binary', 'Practitioner', 'Organization'];
  return (bundle.entry ?? []).map((e) => e.resource as Resource).filter((r) => !shared.includes(r.resourceType));
}
