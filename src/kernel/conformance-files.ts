import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** `profiles/` at the repository root, from `src/` and `dist/` alike: our StructureDefinitions and SearchParameters. */
export const PROFILES_DIR = resolve(__dirname, '..', '..', 'profiles');

/**
 * The JSON files of a directory, sorted by name (none when it does not exist). The server's own `profiles/` must
 * exist: without it the server would run without its DMP profiles and search parameters, validating less and
 * answering fewer searches than it advertises — closed by default, it refuses to run instead (an image or a copy
 * that left the folder out).
 */
export function listJsonFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    if (resolve(dir) === PROFILES_DIR) {
      throw new Error(`${PROFILES_DIR} is missing: the server's own profiles and search parameters ship beside dist/ (the Dockerfile copies profiles/); refusing to run without them`);
    }
    return [];
  }
}

/** The resources of a directory's JSON files that are of `resourceType`. */
export function readConformanceResources<T>(dir: string, resourceType: string): T[] {
  return listJsonFiles(dir)
    .map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as { resourceType?: string })
    .filter((resource) => resource.resourceType === resourceType) as T[];
}
