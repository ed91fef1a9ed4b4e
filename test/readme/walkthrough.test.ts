import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { startServer, type RunningServer } from '../../src/server';
import { createTestDb, type TestDb } from '../support/test-db';

// The README's walkthrough, run as a newcomer runs it (issue 14: its step 3 once pointed outside the repository and
// failed silently). The shell block of "Walkthrough" and the folder import under it are read from README.md and run
// with bash against the production composition in development mode (DEV_AUTH=1, as `npm run start:dev`), with
// only the base URL changed. What each step prints is checked against what the README says it does.

const ROOT = path.join(__dirname, '../..');
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Walkthrough'), readme.indexOf('### The import command'));
const script = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
const folderImport = /`(DMP_IMPORT_TOKEN="\$FEED" npm run import -- [^`]+)`/.exec(section)?.[1] ?? '';

let server: RunningServer;
let testDb: TestDb;
let dataDir: string;
let lines: string[] = [];

beforeAll(async () => {
  expect(script).toContain('B=http://localhost:8080/fhir');
  expect(folderImport).toContain('--url http://localhost:8080/fhir');
  dataDir = mkdtempSync(path.join(tmpdir(), 'dmp-walkthrough-'));
  testDb = await createTestDb();
  server = await startServer(loadConfig({}, { port: 0, host: '127.0.0.1', logLevel: 'silent', dataDir }), { db: testDb.db, env: { DEV_AUTH: '1' } });
  const base = `${server.url}/fhir`;
  // Each curl's answer on a line of its own; the exit code of the folder import after it.
  const run = ['curl() { command curl "$@"; echo; }', script, folderImport, 'echo "exit=$?"'].join('\n').split('http://localhost:8080/fhir').join(base);
  // Asynchronous: the server answering the script runs in this process.
  const { stdout: out } = await promisify(execFile)('bash', ['-c', run], { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir, DEV_AUTH: '1' }, encoding: 'utf8', timeout: 240_000, maxBuffer: 16 * 1024 * 1024 })
    .catch((err: { stdout?: string; stderr?: string }) => {
      throw new Error(`the walkthrough script failed:\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
    });
  lines = out.split('\n').filter((l) => l.trim());
}, 300_000);

afterAll(async () => {
  await server?.close();
  await testDb?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const json = (): any[] => lines.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

describe('the README walkthrough, run as written', () => {
  it('1–2: opens the record and authorises the biologist (two Consents written)', () => {
    const consents = json().filter((r) => r.resourceType === 'Consent');
    expect(consents).toHaveLength(2);
    expect(consents[1].provision.actor[0].reference.identifier.value).toBe('810100234565');
  });

  it('3: the lab system imports the report (a transaction-response with its DocumentReference)', () => {
    const imported = json().find((r) => r.resourceType === 'Bundle' && r.type === 'transaction-response');
    expect(imported?.entry.some((e: any) => e.response.location.includes('/DocumentReference/'))).toBe(true);
  });

  it('4: the patient and the author see the report (total 1), another professional sees nothing (0)', () => {
    const searches = json().filter((r) => r.resourceType === 'Bundle' && r.type === 'searchset' && r.entry?.[0]?.resource?.resourceType !== 'AuditEvent');
    expect(searches.slice(0, 3).map((b) => b.total)).toEqual([1, 1, 0]);
  });

  it('5: the patient reads who accessed her record, and her trail\'s chain is intact', () => {
    const trail = json().find((r) => r.resourceType === 'Bundle' && r.entry?.[0]?.resource?.resourceType === 'AuditEvent');
    expect(trail?.total).toBeGreaterThan(0);
    const verify = json().find((r) => r.resourceType === 'Parameters');
    expect(verify.parameter.find((p: any) => p.name === 'intact').valueBoolean).toBe(true);
  });

  // Three fixtures are the patient's: two are imported, the thyroid report (imported in step 3) is a duplicate. Every
  // other one is refused: another patient's INS with no record here, or an author the patient did not authorise.
  // Counted from the folder, which grows with every fixture we write.
  const others = readdirSync(path.join(__dirname, '../../fixtures/cda')).filter((f) => f.endsWith('.xml')).length - 3;
  it('the folder import: 2 imported, the thyroid report a duplicate, every other fixture rejected with its reason, exit code 1', () => {
    expect(lines).toContain(`imported: 2  duplicate: 1  rejected: ${others}`);
    expect(lines.filter((l) => /^\s+rejected fixtures\/cda\//.test(l))).toHaveLength(others);
    expect(lines.find((l) => l.includes('rejected fixtures/cda/cr-img-thorax.xml'))).toMatch(/HTTP 403: .*author/);
    expect(lines.at(-1)).toBe('exit=1');
  });
});
