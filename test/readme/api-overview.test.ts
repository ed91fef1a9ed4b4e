import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import { startServer, type RunningServer } from '../../src/server';
import { createTestDb, type TestDb } from '../support/test-db';

// The curl examples under "API overview", run as a newcomer runs them (issue 14, checked by a newcomer: they were
// written for a server without access control and each answered 401 "A bearer token is required"). The block is
// read from README.md and run with bash against the production composition in development mode (DEV_AUTH=1, as
// `npm run start:dev`), only the host and port changed; every answer must be what the README says it is.

const ROOT = path.join(__dirname, '../..');
const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## API overview'), readme.indexOf('### Search'));
const script = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? '';

let server: RunningServer;
let testDb: TestDb;
let dataDir: string;
/** Each command's answer after a marker line; the HTTP statuses, in order, on stderr. */
let out = '';
let statuses: number[] = [];

beforeAll(async () => {
  expect(script).toContain('localhost:8080/fhir/metadata');
  dataDir = mkdtempSync(path.join(tmpdir(), 'dmp-api-overview-'));
  testDb = await createTestDb();
  server = await startServer(loadConfig({}, { port: 0, host: '127.0.0.1', logLevel: 'silent', dataDir }), { db: testDb.db, env: { DEV_AUTH: '1' } });
  const host = new URL(server.url).host;
  // `head -c 300` cuts the metadata answer: the marker comes first and the status goes to stderr, so none is lost.
  const run = ['curl() { echo "--answer--"; command curl -w "%{stderr}%{http_code}\\n" "$@"; }', script].join('\n').split('localhost:8080').join(host);
  const result = await promisify(execFile)('bash', ['-c', run], { cwd: ROOT, env: { ...process.env, DATA_DIR: dataDir, DEV_AUTH: '1' }, encoding: 'utf8', timeout: 120_000 })
    .catch((err: { stdout?: string; stderr?: string }) => {
      throw new Error(`the API overview examples failed:\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
    });
  out = result.stdout;
  statuses = result.stderr.split('\n').filter((l) => /^\d{3}$/.test(l)).map(Number);
}, 300_000);

afterAll(async () => {
  await server?.close();
  await testDb?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

const answers = (): { status: number; body: any }[] =>
  out.split('--answer--\n').slice(1).map((text, i) => {
    const body = text.trim();
    return { status: statuses[i], body: body.startsWith('{') && body.endsWith('}') ? JSON.parse(body) : body };
  });

describe('the README API overview examples, run as written', () => {
  it('never answers 401: the examples carry the token the README mints', () => {
    expect(out).not.toContain('A bearer token is required');
    expect(answers()).toHaveLength(4);
    expect(statuses).toEqual([200, 201, 200, 200]);
  });

  it('metadata: the CapabilityStatement (first 300 characters)', () => {
    expect(out).toContain('{"resourceType":"CapabilityStatement"');
  });

  it('create: 201 and the Patient; search by family without accents and birth date: that Patient', () => {
    const [created, found] = answers().filter((a) => typeof a.body === 'object');
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ resourceType: 'Patient', name: [{ family: 'Dupré' }] });
    expect(found.status).toBe(200);
    expect(found.body.total).toBe(1);
    expect(found.body.entry[0].resource.id).toBe(created.body.id);
  });

  it('the document search by chained INS with _include answers a searchset', () => {
    const docs = answers().filter((a) => typeof a.body === 'object')[2];
    expect(docs.status).toBe(200);
    expect(docs.body).toMatchObject({ resourceType: 'Bundle', type: 'searchset' });
  });
});
