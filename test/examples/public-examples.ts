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

/**
 * The document an example replaces (relatedDocument RPLC), built from the example itself: its ClinicalDocument/id made
 * the parent's id, its relatedDocument removed. A replacement whose parent the record does not hold is refused (422,
 * issue 13), and no public example's parent is another example (TRAPS.md): each is filed first. Undefined without RPLC.
 */
export function parentOf(bytes: Buffer): Buffer | undefined {
  const xml = bytes.toString('utf8');
  const related = /<relatedDocument\s+typeCode="RPLC"\s*>[\s\S]*?<\/relatedDocument>/.exec(xml);
  const parentId = related && /<id\s[^>]*\/>/.exec(related[0].slice(related[0].indexOf('<parentDocument')))?.[0];
  if (!related || !parentId) return undefined;
  const withoutRelation = xml.replace(related[0], '');
  const documentId = /<id\s[^>]*\/>/.exec(withoutRelation.slice(withoutRelation.indexOf('<ClinicalDocument')));
  if (!documentId) return undefined;
  return Buffer.from(withoutRelation.replace(documentId[0], parentId));
}
