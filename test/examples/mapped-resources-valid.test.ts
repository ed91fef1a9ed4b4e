import { readFileSync } from 'node:fs';
import { createValidator } from '../../src/validation';
import { invalidMappedResources } from '../unit/cda/mapped-validity';
import { listPublicExamples, publicExamplesPresent } from './public-examples';

// The mapper's conformance to our profiles (test/unit/cda/mapped-resources-valid.test.ts), on the public examples.

const examples = listPublicExamples();

describe('resources mapped from the public CDA examples', () => {
  if (!publicExamplesPresent('the validity of the resources mapped from the public examples')) return;
  const validator = createValidator();

  it('come from enough examples to mean something', () => {
    expect(examples.length).toBeGreaterThanOrEqual(13);
  });

  it.each(examples)('$dir/$file maps only to resources valid against the FHIR schema and our profiles', ({ path }) => {
    expect(invalidMappedResources(validator, readFileSync(path))).toEqual([]);
  });
});
