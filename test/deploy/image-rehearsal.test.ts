import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from '../../src/auth/jose';
import { createTestDb, type TestDb } from '../support/test-db';
import { fetchRead } from '../support/fetch-read';

// Issue 14, "a production Dockerfile, built once": our machines have no Docker engine, so the image is rehearsed
// here stage by stage, as the Dockerfile writes them. Build stage: the sources, the tsconfigs and the whole
// toolchain, `npm run build`. Runtime stage: package.json + lock, `npm ci --omit=dev` (from npm's cache: the
// suite runs after `npm ci`, which filled it), the built `dist/`, `profiles/` — nothing else of the checkout — then
// `node dist/main.js` with NODE_ENV=production and the settings .env.example names. What it catches: a module the
// server imports that is only a devDependency, a file read at run time that the image does not copy (migrations,
// profiles), a production default that refuses to start, a development issuer trusted in production.
// On PostgreSQL when TEST_DATABASE_URL is set (as the compose file runs it), else on the embedded store.

const ROOT = path.join(__dirname, '../..');
const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
let work: string;
let app: string;
let testDb: TestDb | undefined;
let server: ChildProcess | undefined;
let output = '';
let base: string;
let key: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

const ISSUER = 'https://auth.rehearsal.example.fr';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
    probe.on('error', reject);
  });
}

/** Runs the built server of the runtime stage with `env`, as the image's CMD does. */
function run(env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['dist/main.js'], { cwd: app, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  return child;
}

async function exitOf(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function ready(url: string, deadline: number): Promise<void> {
  for (;;) {
    if (server?.exitCode !== null && server?.exitCode !== undefined) throw new Error(`the server exited (${server.exitCode}):\n${output}`);
    const ok = await fetchRead(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`the server was not ready in time:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const token = (claims: Record<string, unknown>) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'rehearsal' }).setIssuer(ISSUER).setAudience('dmp-fhir').setIssuedAt().setExpirationTime('5m').sign(key);

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'dmp-image-'));
  // Build stage: exactly what its COPY lines bring, with the toolchain of the checkout (its `npm ci` is ours).
  const build = path.join(work, 'build');
  mkdirSync(build);
  for (const file of ['package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json', 'src']) cpSync(path.join(ROOT, file), path.join(build, file), { recursive: true });
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(build, 'node_modules'), 'dir');
  execFileSync('npm', ['run', 'build'], { cwd: build, stdio: 'pipe' });
  // Runtime stage.
  app = path.join(work, 'app');
  mkdirSync(app);
  for (const file of ['package.json', 'package-lock.json']) cpSync(path.join(ROOT, file), path.join(app, file));
  try {
    execFileSync('npm', ['ci', '--omit=dev', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], { cwd: app, stdio: 'pipe' });
  } catch (err) {
    throw new Error(`npm ci --omit=dev --offline failed: this suite installs the image's production dependencies from npm's cache, which \`npm ci\` of the checkout fills.\n${String((err as { stderr?: Buffer }).stderr ?? err)}`);
  }
  cpSync(path.join(build, 'dist'), path.join(app, 'dist'), { recursive: true });
  cpSync(path.join(ROOT, 'profiles'), path.join(app, 'profiles'), { recursive: true });

  const pair = await generateKeyPair('ES256', { extractable: true });
  key = pair.privateKey;
  writeFileSync(path.join(work, 'jwks.json'), JSON.stringify({ keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'rehearsal', alg: 'ES256', use: 'sig' }] }));
  if (process.env.TEST_DATABASE_URL) testDb = await createTestDb('pg');
}, 300_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM');
    await exitOf(server);
  }
  await testDb?.drop();
  if (work) rmSync(work, { recursive: true, force: true });
});

/** The production settings of .env.example, filled for this machine. */
async function productionEnv(): Promise<Record<string, string>> {
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const dataDir = path.join(work, 'data');
  mkdirSync(dataDir, { recursive: true });
  return {
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    ...(testDb?.url ? { DATABASE_URL: testDb.url } : {}),
    AUTH_ISSUERS: JSON.stringify([{ issuer: ISSUER, jwks: path.join(work, 'jwks.json'), mints: { kinds: ['practitioner'] } }]),
    AUDIT_CHAIN_SECRET: 'rehearsal-chain-secret-0123456789abcdef0123456789',
    SMTP_URL: 'smtp://127.0.0.1:1',
    MAIL_FROM: 'DMP <no-reply@rehearsal.example.fr>',
    BASE_URL: base,
    LOG_LEVEL: 'info',
  };
}

describe('the production image, rehearsed without Docker', () => {
  it('has the stages the rehearsal plays: build with `npm run build`, runtime with `npm ci --omit=dev`, dist and profiles, `node dist/main.js`', () => {
    expect(dockerfile).toMatch(/FROM \S+ AS build[\s\S]*RUN npm run build[\s\S]*FROM \S+ AS runtime/);
    expect(dockerfile).toMatch(/RUN npm ci --omit=dev/);
    expect(dockerfile).toMatch(/COPY --from=build \/app\/dist \.\/dist/);
    expect(dockerfile).toMatch(/COPY profiles \.\/profiles/);
    expect(dockerfile).toMatch(/CMD \["node", "dist\/main\.js"\]/);
  });

  it('refuses to start with the development issuer in production, saying why', async () => {
    const child = run({ ...(await productionEnv()), DEV_AUTH: '1' });
    expect(await exitOf(child)).not.toBe(0);
    expect(output).toMatch(/DEV_AUTH/);
    output = '';
  }, 60_000);

  it('serves with production dependencies only: ready, its CapabilityStatement, and tokens of the configured issuer only', async () => {
    server = run(await productionEnv());
    await ready(base, Date.now() + 90_000);
    const metadata = await fetch(`${base}/fhir/metadata`, { headers: { accept: 'application/fhir+json' } });
    expect(metadata.status).toBe(200);
    expect(((await metadata.json()) as { resourceType: string }).resourceType).toBe('CapabilityStatement');

    // A practitioner's token of the production issuer: his search answers (nothing of a record he was never let into).
    const practitioner = await token({ dmp_kind: 'practitioner', sub: 'rehearsal', idnat_ps: '810000000099', scope: 'user/*.rs' });
    const search = await fetch(`${base}/fhir/DocumentReference?patient=nobody`, { headers: { authorization: `Bearer ${practitioner}`, accept: 'application/fhir+json' } });
    expect([search.status, ((await search.json()) as { resourceType: string }).resourceType]).toEqual([200, 'Bundle']);

    // No token, and a token of an issuer nobody configured (the development key included): 401.
    expect((await fetchRead(`${base}/fhir/DocumentReference?patient=nobody`)).status).toBe(401);
    const stranger = await new SignJWT({ dmp_kind: 'practitioner', idnat_ps: '810000000099' }).setProtectedHeader({ alg: 'ES256' }).setIssuer('dmp-dev').setAudience('dmp-fhir').setExpirationTime('5m')
      .sign((await generateKeyPair('ES256')).privateKey);
    expect((await fetchRead(`${base}/fhir/metadata`, { headers: { authorization: `Bearer ${stranger}` } })).status).toBeLessThan(500);
    expect((await fetchRead(`${base}/fhir/DocumentReference?patient=nobody`, { headers: { authorization: `Bearer ${stranger}` } })).status).toBe(401);

    // The image's HEALTHCHECK command, run as the image runs it.
    const check = dockerfile.match(/CMD \["node", "-e", "(.*)"\]\n/)?.[1]?.replace(/\\"/g, '"');
    expect(check).toBeDefined();
    execFileSync(process.execPath, ['-e', check as string], { env: { PORT: new URL(base).port }, timeout: 10_000 });

    // SIGTERM (what `docker stop` sends to the CMD's process): a clean exit.
    server.kill('SIGTERM');
    expect(await exitOf(server)).toBe(0);
  }, 180_000);
});
