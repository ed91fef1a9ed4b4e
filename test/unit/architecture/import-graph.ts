import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

// Reads the static import graph of the sources, for the architecture tests: which module imports which. Every form
// that loads a module counts (`import … from`, `export … from`, side-effect `import '…'`, `import('…')`,
// `require('…')`), so a layer cannot be crossed by writing the import differently.

/** The repository root. */
export const ROOT = resolve(__dirname, '../../..');

/** One import of a source file: the specifier as written and, for relative ones, the file it names (repo-relative). */
export interface ImportEdge {
  from: string;
  specifier: string;
  /** Repo-relative path without extension (`src/kernel/sql`), for a relative specifier; undefined for a package. */
  target?: string;
}

const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;

/** The TypeScript files under a repo-relative folder, recursively (repo-relative paths). */
export function sourceFiles(folder: string): string[] {
  const full = join(ROOT, folder);
  if (!existsSync(full)) return [];
  return readdirSync(full).flatMap((name) => {
    const child = `${folder}/${name}`;
    if (statSync(join(ROOT, child)).isDirectory()) return sourceFiles(child);
    return /\.ts$/.test(name) && !/\.d\.ts$/.test(name) ? [child] : [];
  });
}

/** The imports of one repo-relative file, comments stripped first (an import named in a comment is not one). */
export function importsOf(file: string): ImportEdge[] {
  const text = readFileSync(join(ROOT, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"\\])\/\/.*$/gm, '$1');
  const edges: ImportEdge[] = [];
  for (const match of text.matchAll(SPECIFIER)) {
    const specifier = match[1];
    const target = specifier.startsWith('.')
      ? relative(ROOT, resolve(dirname(join(ROOT, file)), specifier)).replace(/\\/g, '/').replace(/\.(ts|js)$/, '')
      : undefined;
    edges.push({ from: file, specifier, target });
  }
  return edges;
}

/** The imports of every file under the folders. */
export function importsUnder(folders: string[]): ImportEdge[] {
  return folders.flatMap((folder) => sourceFiles(folder).flatMap(importsOf));
}

/** True when a repo-relative module path is the folder or inside it. */
export function isUnder(target: string, folder: string): boolean {
  return target === folder || target.startsWith(`${folder}/`);
}

/** "file → specifier" lines, for failure messages that say what to fix. */
export function describe(edges: ImportEdge[]): string[] {
  return edges.map((e) => `${e.from} → ${e.specifier}`);
}
