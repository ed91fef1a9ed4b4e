import type { Resource } from '@medplum/fhirtypes';
import { checkIndexRowShortcuts, filesUnder, mappedResources } from '../unit/search/index-row-checks';
import { listPublicExamples, publicExamplesPresent, SHARED_CDA } from './public-examples';

// The indexer's shortcuts change no index row (test/unit/search/indexer-shortcuts.test.ts), on the resources mapped
// from the public CDA examples as well: more shapes than our own fixtures have.

describe('index rows of the resources mapped from the public CDA examples', () => {
  if (!publicExamplesPresent('the index rows of the public examples')) return;
  const mapped: Resource[] = filesUnder(SHARED_CDA, '.xml').flatMap(mappedResources);

  test('the examples map to enough resources to mean something', () => {
    expect(listPublicExamples().length).toBeGreaterThanOrEqual(13);
    expect(new Set(mapped.map((r) => r.resourceType)).size).toBeGreaterThanOrEqual(5);
  });

  checkIndexRowShortcuts(mapped);
});
