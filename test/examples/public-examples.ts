import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The public ANS CI-SIS and HL7 C-CDA examples live beside the repository (../shared/cda), never copied into it.
 * Only `npm run test:examples` (jest.examples.config.js) reads them; `npm test` runs on the repository alone.
 */
export const SHARED_CDA = join(__dirname, '../../../shared/cda');
/** The reviewed summaries of the examples' mapping, one JSON file per example. */
export const EXPECTED = join(__dirname, 'expected');

export interface PublicExample {
  dir: 'fr' | 'us';
  file: string;
  path: string;
}

/** The examples' XML files (French then US), none when the folder is absent. */
export function listPublicExamples(): PublicExample[] {
  return (['fr', 'us'] as const).flatMap((dir) => {
    const folder = join(SHARED_CDA, dir);
    if (!existsSync(folder)) return [];
    return readdirSync(folder)
      .filter((file) => file.endsWith('.xml'))
      .sort()
      .map((file) => ({ dir, file, path: join(folder, file) }));
  });
}

/**
 * Whether ../shared/cda is there. When it is not, says so on the console and registers the suite's one test,
 * which passes: a fresh clone runs `npm run test:examples` to a clear "not run" instead of a failure.
 */
export function publicExamplesPresent(suite: string): boolean {
  if (existsSync(SHARED_CDA)) return true;
  console.warn(`examples not run: ../shared/cda not found (looked for ${SHARED_CDA}); ${suite} has nothing to check`);
  it('reports that the public examples are absent', () => {
    expect(existsSync(SHARED_CDA)).toBe(false);
  });
  return false;
}
