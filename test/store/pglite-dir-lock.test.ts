import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main as importMain } from '../../src/cli/import';
import { DataDirInUseError, lockDataDir, PGLITE_LOCK_FILE } from '../../src/store/pglite-dir-lock';
import { PgliteDb } from '../../src/store/pglite-db';

// One process at a time on an embedded PGlite directory (issue 14, checked by a newcomer): with `npm run start:dev`
// running on ./data, `npm run import -- <files>` without `--url` started a second embedded server on the same ./data
// and wrote into it — two PostgreSQL instances on one directory, which corrupts it. Now the second open is refused,
// naming the process that holds the directory, and a lock left by a killed process is taken over.

const ROOT = path.join(__dirname, '../..');
let dir: string;
let holder: ChildProcess | undefined;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'dmp-pglite-lock-'));
});
afterEach(() => {
  holder?.kill('SIGKILL');
  holder = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** A live process other than this one, standing for a running server that holds the directory. */
function liveHolder(): number {
  holder = spawn('sleep', ['60'], { stdio: 'ignore' });
  writeFileSync(path.join(dir, PGLITE_LOCK_FILE), `${holder.pid}\n`);
  return holder.pid as number;
}

describe('the data directory of an embedded PGlite', () => {
  it('is refused while another live process holds it, naming that process and how to go on', async () => {
    const pid = liveHolder();
    expect(() => lockDataDir(dir)).toThrow(DataDirInUseError);
    expect(() => lockDataDir(dir)).toThrow(new RegExp(`open in process ${pid} .*--url`));
    await expect(PgliteDb.open(dir)).rejects.toThrow(DataDirInUseError);
    // Nothing was opened: the holder's lock is left as it was.
    expect(readFileSync(path.join(dir, PGLITE_LOCK_FILE), 'utf8').trim()).toBe(String(pid));
    expect(existsSync(path.join(dir, 'PG_VERSION'))).toBe(false);
  });

  it('is taken over from a killed process (its pid no longer runs), and released on close', async () => {
    const dead = spawnSync('true').pid;
    writeFileSync(path.join(dir, PGLITE_LOCK_FILE), `${dead}\n`);
    const db = await PgliteDb.open(dir);
    expect(readFileSync(path.join(dir, PGLITE_LOCK_FILE), 'utf8').trim()).toBe(String(process.pid));
    // Opened twice by one process is two instances on one directory too.
    await expect(PgliteDb.open(dir)).rejects.toThrow(DataDirInUseError);
    await db.close();
    expect(existsSync(path.join(dir, PGLITE_LOCK_FILE))).toBe(false);
    const again = await PgliteDb.open(dir);
    expect((await again.query<{ n: number }>('SELECT 1 AS n')).rows[0].n).toBe(1);
    await again.close();
  });

  it('`npm run import` without --url refuses a directory a running server holds, with exit code 3', async () => {
    const pid = liveHolder();
    await expect(importMain([path.join(ROOT, 'fixtures/cda/cr-bio-thyroid-panel.xml')], { DATA_DIR: dir, DEV_AUTH: '1', LOG_LEVEL: 'silent' })).rejects.toThrow(`open in process ${pid}`);
    const cli = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/import.ts'), path.join(ROOT, 'fixtures/cda/cr-bio-thyroid-panel.xml')], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, DATA_DIR: dir, DEV_AUTH: '1' },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(cli.status).toBe(3);
    expect(cli.stderr).toContain(`open in process ${pid}`);
  });
});
