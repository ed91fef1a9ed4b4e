import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import path from 'node:path';

/** The file that says which process has the embedded database of a data directory open. */
export const PGLITE_LOCK_FILE = 'dmp-pglite.pid';

/** The data directory is open in another live process: opening it here too would corrupt it. */
export class DataDirInUseError extends Error {}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes the data directory of an embedded PGlite for this process, or throws naming the process that has it.
 *
 * PGlite has no postmaster to refuse a second instance, and two processes writing one directory (a running `npm start`
 * and `npm run import` without `--url`, `records:purge`, `notices:resend`…) each cache and write its pages: the
 * directory ends up corrupt (issue 14, checked by a newcomer: the import command's embedded server opened the running
 * server's `./data` without a word). A lock file holding the pid: a live holder refuses the open; one left by a killed
 * process (its pid no longer runs) is taken over. Returns the release, which the database's close calls.
 */
export function lockDataDir(dataDir: string): () => void {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, PGLITE_LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
    }
    let holder = NaN;
    try {
      holder = Number.parseInt(readFileSync(file, 'utf8'), 10);
    } catch {
      // Removed meanwhile: try again.
    }
    if (Number.isInteger(holder) && holder > 0 && alive(holder)) {
      throw new DataDirInUseError(
        `the embedded database in ${dataDir} is open in process ${holder} (a running server?): two processes on one PGlite directory corrupt it. ` +
          `Stop that process first (an import can instead send to it: npm run import -- … --url http://host/fhir), or use another DATA_DIR. ` +
          `If no such process is this server, remove ${file}.`,
      );
    }
    try {
      unlinkSync(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    process.removeListener('exit', release);
    try {
      if (Number.parseInt(readFileSync(file, 'utf8'), 10) === process.pid) unlinkSync(file);
    } catch {
      // Already gone.
    }
  };
  // A process that exits without closing the database (process.exit, an uncaught error) leaves no lock behind.
  process.on('exit', release);
  return release;
}
