import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { CDA_CHANNELS } from './cda-channels';
import { fixture } from './documents-app';

// Issue 14: the hostile CDA document of cda-markup-limit.test.ts (14 MB, 3 million `<br/>`; parsed, 864 MB on the parsing
// thread), here on a server whose CDA_MARKUP_LIMIT lets it be parsed, with its real CDA workers (CDA_PLAN_WORKERS=1,
// CDA_WORKER_MEMORY_MB=64): `$import` answered 422 too-costly from its worker, but an ITI-65 bundle or an ITI-105 publish
// carrying the same bytes was parsed on the request thread, with no heap limit, the server growing by hundreds of MB.
// Every channel now gets the same 422, the server stays within its workers' limits, and it still answers.

const ROOT = path.join(__dirname, '../../..');
const MB = 1024 * 1024;

/** Resident memory of a process, now and at its peak (Linux), MB. */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** The two-result lab report whose results are replaced by 3 million empty elements in a narrative. */
function hostileLabReport(): Buffer {
  const lab = fixture('cda/lab-report-two-results.xml').toString('utf8');
  return Buffer.from(lab.replace(/<entry typeCode="DRIV">[\s\S]*<\/entry>/, `<text>${'<br/>'.repeat(3_000_000)}</text>`).replace('<id root="1.2.250.1.999.1.1.7.1"/>', '<id root="1.2.250.1.999.1.1.7.401"/>'));
}

let child: ChildProcess;
let origin: string;
let patient: string;

beforeAll(async () => {
  child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'cda-limits-server.ts')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, TEST_DATABASE_URL: process.env.TEST_DATABASE_URL, CDA_PLAN_WORKERS: '1', CDA_WORKER_MEMORY_MB: '64', CDA_MARKUP_LIMIT: '4000000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (c: Buffer) => (err += c.toString('utf8')));
  [origin, patient] = await new Promise<[string, string]>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString('utf8');
      const m = /READY (\S+) (\S+)/.exec(out);
      if (m) resolve([m[1], m[2]]);
    });
    child.once('exit', (code) => reject(new Error(`server exited (${String(code)}) before it was ready: ${err}`)));
  });
}, 180_000);

afterAll(async () => {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
});

test('a hostile CDA document parsed on a worker gets 422 too-costly through $import, ITI-65 and ITI-105 alike; the server stays bounded and answers', async () => {
  const hostile = hostileLabReport();
  expect(hostile.length).toBeGreaterThan(14 * MB);
  const before = memoryOf(child.pid as number);
  for (const { name, send } of CDA_CHANNELS) {
    const res = await send(origin, hostile, patient);
    expect([name, res.status, res.body.issue?.[0]?.code]).toEqual([name, 422, 'too-costly']);
    expect(res.body.issue[0].diagnostics).toMatch(/CDA_WORKER_MEMORY_MB/);
  }
  // Parsed on the request thread, the document took it ~770 MB above where it was; on the worker, the 64 MB heap and
  // the request's own copies of its 14 MB (JSON, base64, bytes) are what the server holds.
  const after = memoryOf(child.pid as number);
  console.log(`hostile CDA through $import, ITI-65, ITI-105: server RSS ${Math.round(before.rss)} MB before, peak ${Math.round(after.peak)} MB`);
  expect(after.peak - before.rss).toBeLessThan(400);
  expect((await request(origin).get('/fhir/metadata')).status).toBe(200);
  // The worker that ran out of memory was replaced: a document within the limits is still imported, on the pool.
  expect((await request(origin).post('/fhir/DocumentReference/$import').set('Content-Type', 'application/hl7-cda+xml').send(fixture('cda/lab-report-two-results.xml'))).status).toBe(201);
}, 300_000);
