import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// `npm start` builds only when the sources changed (issue 14: it rebuilt every time, 27 s of a 31 s restart). The
// stamp hashes contents, so a checkout that only touches files does not rebuild and one that changes them does.
const { needsBuild, sourceHash } = require('../../scripts/build-if-changed.js') as {
  needsBuild(root: string): boolean;
  sourceHash(root: string): string;
};

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(tmpdir(), 'dmp-stamp-'));
  fs.mkdirSync(path.join(root, 'src/store'), { recursive: true });
  fs.writeFileSync(path.join(root, 'src/main.ts'), 'export const a = 1;\n');
  fs.writeFileSync(path.join(root, 'src/store/db.ts'), 'export const b = 2;\n');
  fs.writeFileSync(path.join(root, 'tsconfig.json'), '{}\n');
  fs.mkdirSync(path.join(root, 'dist'));
  fs.writeFileSync(path.join(root, 'dist/main.js'), '');
  fs.writeFileSync(path.join(root, 'dist/.build-stamp'), `${sourceHash(root)}\n`);
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

test('a build stamped with the current sources is not rebuilt', () => {
  expect(needsBuild(root)).toBe(false);
});

test('touching files without changing them (a git checkout) does not rebuild', () => {
  const later = new Date(Date.now() + 3600_000);
  fs.utimesSync(path.join(root, 'src/main.ts'), later, later);
  expect(needsBuild(root)).toBe(false);
});

test('a changed, added or removed source rebuilds, even with an older modification time', () => {
  const file = path.join(root, 'src/store/db.ts');
  const old = fs.statSync(file).mtime;
  fs.writeFileSync(file, 'export const b = 3;\n');
  fs.utimesSync(file, old, new Date(0));
  expect(needsBuild(root)).toBe(true);
  fs.writeFileSync(file, 'export const b = 2;\n');
  expect(needsBuild(root)).toBe(false);
  fs.writeFileSync(path.join(root, 'src/extra.ts'), '');
  expect(needsBuild(root)).toBe(true);
  fs.rmSync(path.join(root, 'src/extra.ts'));
  fs.rmSync(path.join(root, 'src/store/db.ts'));
  expect(needsBuild(root)).toBe(true);
});

test('a changed tsconfig rebuilds; a missing dist or stamp builds', () => {
  fs.writeFileSync(path.join(root, 'tsconfig.json'), '{"compilerOptions":{}}\n');
  expect(needsBuild(root)).toBe(true);
  fs.writeFileSync(path.join(root, 'dist/.build-stamp'), `${sourceHash(root)}\n`);
  expect(needsBuild(root)).toBe(false);
  fs.rmSync(path.join(root, 'dist/main.js'));
  expect(needsBuild(root)).toBe(true);
});
