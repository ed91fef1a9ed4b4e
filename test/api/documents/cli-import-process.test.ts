import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Hooks } from '../../../src/fhir/context';
import { unauthorized } from '../../../src/fhir/errors';
import type { TestApp } from '../../support/test-app';
import { createDocumentsApp, createMarchalPatient, FIXTURES, MARCHAL_DOCUMENTS } from './documents-app';

// `npm run import` as an operator runs it: a separate process against a listening server. The token from the
// environment or a file (never the command line), one exit code per kind of ending, progress for a pipe.

const ROOT = path.join(__dirname, '../../..');
const TOKEN = 'import-cli-token-5f2a9c';
/** The server's token check, once the fixture is in: only TOKEN passes (the documents app has no access module). */
let checking = false;
const tokenCheck: Hooks = {
  async authenticate(request) {
    if (checking && request.headers.authorization !== `Bearer ${TOKEN}`) throw unauthorized('invalid token');
  },
};

let app: TestApp;
let server: Server;
let fhirUrl: string;
const work = mkdtempSync(path.join(tmpdir(), 'cda-cli-process-'));
const good = path.join(work, 'good');
const mixed = path.join(work, 'mixed');
mkdirSync(good);
mkdirSync(mixed);
for (const file of MARCHAL_DOCUMENTS) {
  copyFileSync(path.join(FIXTURES, 'cda', file), path.join(good, file));
  copyFileSync(path.join(FIXTURES, 'cda', file), path.join(mixed, file));
}
writeFileSync(path.join(mixed, 'broken.xml'), '<ClinicalDocument xmlns="urn:hl7-org:v3"><id root="1.2.3"');
const tokenFile = path.join(work, 'token.txt');
writeFileSync(tokenFile, `${TOKEN}\n`);

beforeAll(async () => {
  app = await createDocumentsApp([tokenCheck]);
  await createMarchalPatient(app);
  checking = true;
  server = app.app.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  fhirUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/fhir`;
}, 120_000);
afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await app?.close();
});

/** Runs the CLI in its own process; stderr is a pipe, not a terminal. */
async function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/import.ts'), ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { code, stdout, stderr };
}

test('imports a folder with the token from DMP_IMPORT_TOKEN; a rejected document gives exit code 1 and its reason', async () => {
  const r = await runCli([mixed, '--url', fhirUrl, '--concurrency', '2'], { DMP_IMPORT_TOKEN: TOKEN });
  expect(r.stdout).toMatch(new RegExp(`^imported: ${MARCHAL_DOCUMENTS.length} {2}duplicate: 0 {2}rejected: 1\\n`));
  expect(r.stdout).toMatch(/rejected .*broken\.xml: HTTP 400/);
  expect(r.code).toBe(1);
  // Not a terminal: plain progress lines (no carriage returns), the last one complete.
  expect(r.stderr).not.toContain('\r');
  expect(r.stderr.trim().split('\n').pop()).toMatch(new RegExp(`\\] ${MARCHAL_DOCUMENTS.length + 1}/${MARCHAL_DOCUMENTS.length + 1} imported ${MARCHAL_DOCUMENTS.length} present 0 rejected 1$`));
  expect(r.stdout + r.stderr).not.toContain(TOKEN);
}, 60_000);

test('with the token from --token-file, documents already present count as such and the exit code is 0', async () => {
  const r = await runCli([good, '--url', fhirUrl, '--token-file', tokenFile]);
  expect(r.stdout).toMatch(new RegExp(`^imported: 0 {2}duplicate: ${MARCHAL_DOCUMENTS.length} {2}rejected: 0\\n`));
  expect(r.code).toBe(0);
}, 60_000);

test('a refused token stops the import with exit code 3, not 1', async () => {
  const r = await runCli([good, '--url', fhirUrl, '--concurrency', '1'], { DMP_IMPORT_TOKEN: 'not-the-token' });
  expect(r.stdout).toMatch(/import stopped: HTTP 401: invalid token \(check the token\)/);
  expect(r.stdout).toMatch(/not sent: \d+/);
  expect(r.code).toBe(3);
}, 60_000);

test('a server that cannot be reached gives exit code 3', async () => {
  const closed = await new Promise<number>((resolve) => {
    const probe = app.app.listen(0, '127.0.0.1', () => {
      const port = (probe.address() as AddressInfo).port;
      probe.close(() => resolve(port));
    });
  });
  const r = await runCli([good, '--url', `http://127.0.0.1:${closed}/fhir`], { DMP_IMPORT_TOKEN: TOKEN });
  expect(r.stdout).toMatch(/import stopped: could not reach the server: ECONNREFUSED/);
  expect(r.code).toBe(3);
}, 60_000);

test('a token on the command line is refused with exit code 2 before anything is sent', async () => {
  const r = await runCli([good, '--url', fhirUrl, '--token', TOKEN]);
  expect(r.stderr).toMatch(/--token is not accepted.*DMP_IMPORT_TOKEN/);
  expect(r.code).toBe(2);
}, 60_000);
