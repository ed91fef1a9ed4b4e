import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BIN = '/usr/lib/postgresql/15/bin';

/** Why a throw-away cluster cannot be made on this machine (no PostgreSQL 15 binaries), or undefined when it can. */
export function clusterUnavailable(): string | undefined {
  return existsSync(path.join(BIN, 'initdb')) ? undefined : `PostgreSQL 15 binaries not found in ${BIN} (apt-get install postgresql-15)`;
}

/** A free TCP port on the loopback interface, as the OS hands one out. */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Runs a PostgreSQL program as the `postgres` user (the server refuses to run as root). */
async function asPostgres(program: string, args: string[]): Promise<void> {
  const command = process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', path.join(BIN, program), ...args]] : [path.join(BIN, program), args];
  await run(command[0] as string, command[1] as string[], { timeout: 60_000 }).catch((err: Error & { stderr?: string }) => {
    // The program's own words say why (execFile's message names only the command).
    throw new Error(`${err.message.split('\n')[0]}\n${err.stderr ?? ''}`);
  });
}

/**
 * A throw-away PostgreSQL 15 cluster in a temporary directory on a free port, for tests that stop and start the
 * database (never the shared server on 5432).
 */
export class ThrowAwayCluster {
  private constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  /** The connection string of the cluster's `postgres` database. */
  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  /** Creates (initdb) and starts a new cluster. */
  static async create(): Promise<ThrowAwayCluster> {
    const dir = mkdtempSync(path.join(tmpdir(), 'dmp-pg-'));
    if (process.getuid?.() === 0) chownSync(dir, ...(await postgresIds()));
    const cluster = new ThrowAwayCluster(dir, await freePort());
    await asPostgres('initdb', ['-D', cluster.dataDir, '-A', 'trust', '-U', 'postgres', '--no-sync']);
    await cluster.start();
    return cluster;
  }

  private get dataDir(): string {
    return path.join(this.dir, 'data');
  }

  /** Starts the cluster and waits until it accepts connections. */
  async start(): Promise<void> {
    // fsync off: an immediate stop kills the server processes, not the machine, so the OS keeps every written page.
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=40`;
    await asPostgres('pg_ctl', ['-D', this.dataDir, '-o', options, '-l', path.join(this.dir, 'log'), '-w', 'start']);
  }

  /**
   * A streaming replica of `primary` (pg_basebackup -R: a standby that follows the primary's WAL), started on its own
   * free port (--checkpoint=fast: the default spread checkpoint made it wait minutes). The primary's default pg_hba (initdb -A trust) lets replication connect from the loopback.
   */
  static async replicaOf(primary: ThrowAwayCluster): Promise<ThrowAwayCluster> {
    const dir = mkdtempSync(path.join(tmpdir(), 'dmp-pg-replica-'));
    if (process.getuid?.() === 0) chownSync(dir, ...(await postgresIds()));
    const replica = new ThrowAwayCluster(dir, await freePort());
    await asPostgres('pg_basebackup', ['-D', replica.dataDir, '-R', '-X', 'stream', '--checkpoint=fast', '-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '--no-sync']);
    await replica.start();
    return replica;
  }

  /** Promotes a standby to primary and waits until it accepts writes. */
  async promote(): Promise<void> {
    await asPostgres('pg_ctl', ['-D', this.dataDir, '-w', 'promote']);
  }

  /** Stops the cluster at once, as a crash would: open connections are cut, open transactions are lost. */
  async stopImmediate(): Promise<void> {
    await asPostgres('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']);
  }

  /** Stops the cluster if it runs and deletes its files. */
  async destroy(): Promise<void> {
    await asPostgres('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

async function postgresIds(): Promise<[number, number]> {
  const { stdout } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  return [Number(stdout.trim()), Number(gid.trim())];
}
