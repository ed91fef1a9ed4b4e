import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadAuthConfig } from '../../src/auth/auth-config';
import { loadDevKey } from '../../src/auth/dev-key';
import { exportJWK, generateKeyPair } from '../../src/auth/jose';
import { mintDevToken } from '../../src/auth/mint-token';
import { AUTHOR_RPPS, crashDocument, PATIENTS } from './crash-fixture';
import { clusterUnavailable, ThrowAwayCluster } from './pg-cluster';
import { type ServerProcess, spawnServer } from './server-process';

async function jwkText(kid: string): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: 'ES256' });
}

/** What the write load saw: acknowledged ids, 503 answers (with their Retry-After), anything else. */
interface Observed {
  acknowledged: string[];
  unavailable: number;
  unexpected: string[];
}

/** Keeps the first few unexpected answers (a dead server would fill the report with thousands). */
function note(seen: Observed, what: string): void {
  if (seen.unexpected.length < 10) seen.unexpected.push(what);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Creates documents with `workers` concurrent loops until `isStopped()`, sorting every answer into `seen`. */
async function writeLoad(fhirUrl: string, token: string, workers: number, isStopped: () => boolean, seen: Observed): Promise<void> {
  let n = 0;
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json', accept: 'application/fhir+json' };
  const loop = async (): Promise<void> => {
    while (!isStopped()) {
      const i = n++;
      try {
        const res = await fetch(`${fhirUrl}/DocumentReference`, { method: 'POST', headers, body: JSON.stringify(crashDocument(PATIENTS[i % PATIENTS.length], i)) });
        const body = (await res.json()) as { id?: string; resourceType?: string };
        if (res.status === 201 && body.id) seen.acknowledged.push(body.id);
        else if (res.status === 503 && res.headers.get('retry-after') && body.resourceType === 'OperationOutcome') {
          seen.unavailable++;
          await sleep(50);
        } else note(seen, `${res.status} ${JSON.stringify(body).slice(0, 200)}`);
      } catch (err) {
        note(seen, `no answer: ${(err as Error).message}`);
        await sleep(50);
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, loop));
}

/** Polls /readyz every 100 ms, keeping the statuses seen in each phase. */
function pollReadiness(url: string, phase: () => string, isStopped: () => boolean): Promise<Map<string, Set<number>>> {
  const seen = new Map<string, Set<number>>();
  return (async () => {
    while (!isStopped()) {
      const at = phase();
      const status = await fetch(`${url}/readyz`).then((r) => r.status, () => 0);
      if (!seen.has(at)) seen.set(at, new Set());
      seen.get(at)!.add(status);
      await sleep(100);
    }
    return seen;
  })();
}

// The test starts and stops its own PostgreSQL 15 cluster; without the binaries it says so and does not run.
const unavailable = clusterUnavailable();
if (unavailable) console.warn(`db-restart test not run: ${unavailable}`);
const describeWithCluster = unavailable ? describe.skip : describe;

describeWithCluster('a server whose PostgreSQL restarts under a write load', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'dmp-restart-'));
  let cluster: ThrowAwayCluster;
  let server: ServerProcess | undefined;

  afterAll(async () => {
    if (server && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
    await cluster?.destroy();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stays alive, answers 503 with Retry-After during the outage, recovers, and loses no acknowledged write', async () => {
    cluster = await ThrowAwayCluster.create();
    const env: NodeJS.ProcessEnv = {
      DEV_AUTH: '1',
      DEV_ISSUER_KEY: await jwkText('dev-restart'),
      LOGIN_ISSUER_KEY: await jwkText('login-restart'),
      AUDIT_CHAIN_SECRET: 'restart-chain-secret',
      DATABASE_URL: cluster.url,
      DB_POOL_SIZE: '6',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      CRASH_SEED: '1',
    };
    const auth = loadAuthConfig(env, dataDir);
    const token = await mintDevToken(auth, await loadDevKey(auth), { kind: 'practitioner', id: AUTHOR_RPPS });
    server = await spawnServer(env);
    const baseUrl = server.fhirUrl.replace(/\/fhir$/, '');

    let stopped = false;
    let phase = 'before';
    const seen: Observed = { acknowledged: [], unavailable: 0, unexpected: [] };
    const load = writeLoad(server.fhirUrl, token, 4, () => stopped, seen);
    const readiness = pollReadiness(baseUrl, () => phase, () => stopped);

    const waitFor = async (what: string, done: () => boolean, ms = 60_000) => {
      const until = Date.now() + ms;
      while (!done()) {
        if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify({ ...seen, acknowledged: seen.acknowledged.length })}`);
        await sleep(50);
      }
    };
    await waitFor('writes before the outage', () => seen.acknowledged.length >= 20);
    const ackBefore = seen.acknowledged.length;

    phase = 'outage';
    const outageStarted = Date.now();
    await cluster.stopImmediate();
    await sleep(2_000);
    await cluster.start();
    const outageMs = Date.now() - outageStarted;
    phase = 'after';

    const ackAtRestart = seen.acknowledged.length;
    await waitFor('writes after the restart', () => seen.acknowledged.length >= ackAtRestart + 20);
    await sleep(300);
    stopped = true;
    await load;
    const ready = await readiness;

    expect(server.child.exitCode).toBeNull();
    expect(server.child.signalCode).toBeNull();
    expect(seen.unexpected).toEqual([]);
    expect(seen.unavailable).toBeGreaterThan(0);
    expect([...(ready.get('outage') ?? [])]).toContain(503);
    expect([...(ready.get('after') ?? [])].pop()).toBe(200);

    // Every acknowledged create is readable after the restart.
    const headers = { authorization: `Bearer ${token}`, accept: 'application/fhir+json' };
    const missing: string[] = [];
    for (const id of seen.acknowledged) {
      const res = await fetch(`${server.fhirUrl}/DocumentReference/${id}`, { headers });
      await res.text();
      if (res.status !== 200) missing.push(`${id}: ${res.status}`);
    }
    expect(missing).toEqual([]);
    process.stdout.write(
      `restart: outage ${outageMs} ms, ${seen.unavailable} answered 503, ${seen.acknowledged.length} writes acknowledged (${ackBefore} before, ` +
        `${seen.acknowledged.length - ackAtRestart} after) and read back\n`,
    );

    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  }, 240_000);
});
