#!/usr/bin/env node
/**
 * `npm start`'s pre-step: builds `dist/` only when what it is built from changed. The stamp is a hash of the
 * contents (not the modification times) of `src/`, the tsconfig files and package-lock.json, so a `git checkout`
 * that touches files without changing them does not rebuild, and one that changes them always does, whatever the
 * clock says. A rebuild starts from an empty `dist/`, so the output of a deleted source never lingers.
 *   node scripts/build-if-changed.js [--check]   (--check: exit 1 when a build is needed, build nothing)
 */
'use strict';
const { createHash } = require('node:crypto');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const INPUTS = ['src', 'tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];
const STAMP = path.join('dist', '.build-stamp');

/** Every file under `rel` (a file or a folder), sorted, relative to root. */
function filesOf(root, rel) {
  const full = path.join(root, rel);
  if (!fs.existsSync(full)) return [];
  if (!fs.statSync(full).isDirectory()) return [rel];
  return fs
    .readdirSync(full, { withFileTypes: true })
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .flatMap((e) => (e.isDirectory() ? filesOf(root, path.join(rel, e.name)) : [path.join(rel, e.name)]));
}

/** The hash of the build's inputs: each file's path and contents. */
function sourceHash(root) {
  const hash = createHash('sha256');
  for (const rel of INPUTS.flatMap((i) => filesOf(root, i))) {
    hash.update(rel.split(path.sep).join('/')).update('\0').update(fs.readFileSync(path.join(root, rel))).update('\0');
  }
  return hash.digest('hex');
}

/** Answers whether dist/ is missing, incomplete, or built from other sources. */
function needsBuild(root) {
  const stamp = path.join(root, STAMP);
  if (!fs.existsSync(path.join(root, 'dist', 'main.js')) || !fs.existsSync(stamp)) return true;
  return fs.readFileSync(stamp, 'utf8').trim() !== sourceHash(root);
}

/** Builds from an empty dist/ with `npm run build`, then writes the stamp of what it was built from. */
function build(root) {
  const hash = sourceHash(root);
  fs.rmSync(path.join(root, 'dist'), { recursive: true, force: true });
  execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
  fs.writeFileSync(path.join(root, STAMP), `${hash}\n`);
}

module.exports = { sourceHash, needsBuild, build };

if (require.main === module) {
  const root = path.resolve(__dirname, '..');
  const stale = needsBuild(root);
  if (process.argv.includes('--check')) process.exit(stale ? 1 : 0);
  if (stale) {
    process.stderr.write('sources changed since the last build: building dist/ (npm run build)\n');
    build(root);
  }
}
