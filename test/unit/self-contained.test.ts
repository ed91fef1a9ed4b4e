import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

// `npm test` runs on a fresh clone with nothing beside it: no test, source, fixture or bench file may read the
// public examples' folder next to the repository. Only test/examples (`npm run test:examples`) does.
// The pattern is assembled from pieces so that this file does not match itself.

const ROOT = join(__dirname, '../..');
const SCANNED = ['src', 'test', 'bench', 'fixtures', 'scripts', 'jest.config.js', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];
const EXCLUDED = ['test/examples'];
const TEXT = /\.(ts|js|cjs|mjs|json|xml|md|sh)$/;

const DOTS = String.raw`\.\.`;
const NAME = 'shared';
const SHARED_PATH = new RegExp(
  [
    String.raw`${DOTS}[\\/]+${NAME}\b`, // a path written out: parent dir, then the folder
    String.raw`['"\x60]${DOTS}['"\x60]\s*,\s*['"\x60]${NAME}\b`, // path segments given to join/resolve
    String.raw`/work/${NAME}\b`, // the machine's absolute path
  ].join('|'),
);

function textFiles(path: string): string[] {
  const full = join(ROOT, path);
  if (!existsSync(full) || EXCLUDED.some((e) => path === e || path.startsWith(`${e}/`))) return [];
  const entries = readdirSync(full, { withFileTypes: true });
  return entries.flatMap((e) => {
    const child = `${path}/${e.name}`;
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : textFiles(child);
    return TEXT.test(e.name) ? [child] : [];
  });
}

function filesToScan(): string[] {
  return SCANNED.flatMap((p) => {
    const full = join(ROOT, p);
    if (!existsSync(full)) return [];
    return statSync(full).isDirectory() ? textFiles(p) : [p];
  });
}

describe('the test suite is self-contained', () => {
  it('reads nothing from the examples folder beside the repository outside test/examples', () => {
    const files = filesToScan();
    expect(files.length).toBeGreaterThan(100);
    const offenders = files.flatMap((file) =>
      readFileSync(join(ROOT, file), 'utf8')
        .split('\n')
        .map((line, i) => ({ line, at: `${file}:${i + 1}` }))
        .filter(({ line }) => SHARED_PATH.test(line))
        .map(({ line, at }) => `${at}: ${line.trim()}`),
    );
    expect(offenders).toEqual([]);
  });

  it.each([
    [`join(__dirname, '../../../../${NAME}/cda')`, true],
    [`path.join(root, '..', '${NAME}', 'cda')`, true],
    [`resolve(ROOT, "..", "${NAME}")`, true],
    [`readFileSync('..\\\\${NAME}\\\\cda\\\\x.xml')`, true],
    [`const dir = '/work/${NAME}/cda/fr';`, true],
    ['// shared by the seeder and the load generator', false],
    ['const sharedWith = ["a", "b"];', false],
  ])('recognises %s: %s', (line, found) => {
    expect(SHARED_PATH.test(line)).toBe(found);
  });
});
