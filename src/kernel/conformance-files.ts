import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** `profiles/` at the repository root, from `src/` and `dist/` alike: our StructureDefinitions and SearchParameters. */
export const PROFILES_DIR = resolve(__dirname, '..', '..', 'profiles');

/** The JSON files of a directory, sorted by name (none when it does not exist). */
export function listJsonFiles(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}

/** The resources of a directory's JSON files that are of `resourceType`. */
export function readConformanceResources<T>(dir: string, resourceType: string): T[] {
  return listJsonFiles(dir)
    .map((file) => JSON.parse(readFileSync(join(dir, file), 'utf8')) as { resourceType?: string })
    .filter((resource) => resource.resourceType === resourceType) as T[];
}
