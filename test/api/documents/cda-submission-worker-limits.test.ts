import path from 'node:path';
import request from 'supertest';
import { CdaPlanWorkers } from '../../../src/cda/plan-workers';
import { FHIR_JSON, type TestApp } from '../../support/test-app';
import { CDA_CHANNELS, iti65 } from './cda-channels';
import { createDocumentsApp, createFrenchTestPatient, fixture, importCda } from './documents-app';

// Issue 14: `$import` parses a CDA document on a worker (CDA_WORKER_MEMORY_MB, CDA_JOB_TIMEOUT_MS, CDA_QUEUE_LIMIT), but an
// ITI-65 bundle or an ITI-105 publish carrying the same document had it parsed on the request thread, with no memory
// cap, no timeout and no queue: a hostile document inside a bundle could hold the server's one JavaScript thread and
// grow its memory where `$import` refused it. Every channel now parses on the same pool: a document the pool refuses
// gets the same status and issue code whichever way it comes in. The pools here run test workers that stand for a
// parse that never ends (`hanging-worker.js`) and one that eats memory without end (`hungry-worker.js`);
// test/crash/cda-submission-limits.test.ts runs the real parser on the server's own workers.

const WORKERS = path.resolve(__dirname, '../../unit/cda/workers');
const LAB = fixture('cda/lab-report-two-results.xml');
/** The lab report with "HUNGRY" in its first KB: the hungry worker's parse of it never fits its heap. */
const HUNGRY_LAB = Buffer.from(LAB.toString('utf8').replace('<ClinicalDocument', '<!-- HUNGRY --><ClinicalDocument'));

async function documentCount(app: TestApp): Promise<number> {
  return (await request(app.app).get('/fhir/DocumentReference').query({ _summary: 'count' })).body.total as number;
}

describe('a CDA document whose parse never ends (CDA_JOB_TIMEOUT_MS, CDA_QUEUE_LIMIT)', () => {
  let app: TestApp;
  let patient: string;
  beforeAll(async () => {
    const workers = CdaPlanWorkers.create(1, path.join(WORKERS, 'hanging-worker.js'), { jobTimeoutMs: 3000, queueLimit: 1 });
    app = await createDocumentsApp([], {}, workers);
    patient = await createFrenchTestPatient(app);
  });
  afterAll(() => app.close());

  it.each(CDA_CHANNELS)('gets through $name 422 too-costly for the one on the worker and 503 + Retry-After for the one past the queue', async ({ send }) => {
    const [first, second] = await Promise.all([send(app.app, LAB, patient), new Promise((r) => setTimeout(r, 300)).then(() => send(app.app, LAB, patient))]);
    expect([first.status, first.body.issue[0].code]).toEqual([422, 'too-costly']);
    expect(first.body.issue[0].diagnostics).toMatch(/CDA_JOB_TIMEOUT_MS/);
    expect([second.status, second.body.issue[0].code]).toEqual([503, 'transient']);
    expect(second.headers['retry-after']).toBeDefined();
    expect(await documentCount(app)).toBe(0);
  });
});

describe('a CDA document whose parse needs more than CDA_WORKER_MEMORY_MB', () => {
  let app: TestApp;
  let patient: string;
  beforeAll(async () => {
    const workers = CdaPlanWorkers.create(1, path.join(WORKERS, 'hungry-worker.js'), { jobTimeoutMs: 60_000, memoryMb: 32 });
    app = await createDocumentsApp([], {}, workers);
    patient = await createFrenchTestPatient(app);
  });
  afterAll(() => app.close());

  it.each(CDA_CHANNELS)('gets through $name 422 too-costly naming the limit, and the server answers after it', async ({ send }) => {
    const res = await send(app.app, HUNGRY_LAB, patient);
    expect([res.status, res.body.issue[0].code]).toEqual([422, 'too-costly']);
    expect(res.body.issue[0].diagnostics).toMatch(/CDA_WORKER_MEMORY_MB/);
    expect((await request(app.app).get('/fhir/metadata')).status).toBe(200);
    expect(await documentCount(app)).toBe(0);
  });

  it('is refused too when an ITI-65 submission only reads its header (a CDA declared as another type)', async () => {
    // Not mapped (declared application/pdf), but read all the same to tell whether it is a CDA whose patient must be
    // checked: that read is a whole parse, on the worker too.
    const res = await request(app.app).post('/fhir').set('Content-Type', FHIR_JSON).send(iti65(HUNGRY_LAB, patient, 'application/pdf'));
    expect([res.status, res.body.issue[0].code]).toEqual([422, 'too-costly']);
    expect(res.body.issue[0].diagnostics).toMatch(/CDA_WORKER_MEMORY_MB/);
  });
});

describe('CDA_MARKUP_LIMIT', () => {
  let app: TestApp;
  let patient: string;
  beforeAll(async () => {
    app = await createDocumentsApp([], { cdaMarkupLimit: 1000 });
    patient = await createFrenchTestPatient(app);
  });
  afterAll(() => app.close());

  // The two-result lab report has 326 '<' and '='; with 200 more results (7 each) it has over 1,000.
  const results = Array.from({ length: 200 }, (_, i) => `<observation classCode="OBS" moodCode="EVN"><id root="1.2.3" extension="r${i}"/></observation>`).join('');
  const larger = Buffer.from(LAB.toString('utf8').replace('</ClinicalDocument>', `<!-- ${results} --></ClinicalDocument>`));

  it.each(CDA_CHANNELS)('refuses through $name a document of more tags and attributes than configured with 413 naming the limit', async ({ send }) => {
    const res = await send(app.app, larger, patient);
    expect([res.status, res.body.issue[0].code]).toEqual([413, 'too-costly']);
    expect(res.body.issue[0].diagnostics).toMatch(/more than 1000 tags and attributes/);
  });

  it('still takes a document under it', async () => {
    expect((await importCda(app, LAB)).status).toBe(201);
  });
});
