import fs from 'node:fs';
import path from 'node:path';
import { CdaPlanWorkers } from '../../../src/cda/plan-workers';
import { FhirError } from '../../../src/fhir/errors';

// CDA_JOB_TIMEOUT_MS and CDA_QUEUE_LIMIT: a document that keeps a worker busy is refused (422) and its worker
// replaced; past the queue limit new documents get 503 + Retry-After at once instead of waiting behind the rest.

const hanging = path.resolve(__dirname, 'workers/hanging-worker.js');
const hungry = path.resolve(__dirname, 'workers/hungry-worker.js');
const real = path.resolve(__dirname, '../../../src/cda/plan-worker.ts');
const fixture = fs.readFileSync(path.resolve(__dirname, '../../../fixtures/cda/lab-report-two-results.xml'));

test('a job over CDA_JOB_TIMEOUT_MS answers 422 too-costly and its worker is replaced', async () => {
  const workers = CdaPlanWorkers.create(1, hanging, { jobTimeoutMs: 300 }) as CdaPlanWorkers;
  try {
    const started = Date.now();
    const err = await workers.plan(fixture, { maxBytes: 1_000_000 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FhirError);
    expect((err as FhirError).status).toBe(422);
    expect((err as FhirError).outcome.issue[0].code).toBe('too-costly');
    expect(Date.now() - started).toBeLessThan(5000);
    // The replacement is a fresh (here: also hanging) worker, not a pool fallen back to planning inline.
    expect(workers.queued).toBe(0);
    const again = await workers.plan(fixture, { maxBytes: 1_000_000 }).catch((e: unknown) => e);
    expect((again as FhirError).status).toBe(422);
  } finally {
    await workers.close();
  }
});

test('past CDA_QUEUE_LIMIT a document gets 503 + Retry-After at once', async () => {
  const workers = CdaPlanWorkers.create(1, hanging, { jobTimeoutMs: 2000, queueLimit: 2 }) as CdaPlanWorkers;
  try {
    const held = [workers.plan(fixture, { maxBytes: 1_000_000 }).catch((e: unknown) => e), workers.plan(fixture, { maxBytes: 1_000_000 }).catch((e: unknown) => e)];
    expect(workers.queued).toBe(2);
    const err = await workers.plan(fixture, { maxBytes: 1_000_000 }).catch((e: unknown) => e);
    expect((err as FhirError).status).toBe(503);
    expect((err as FhirError).headers['Retry-After']).toBeDefined();
    // The first times out (422); the one queued behind it on the same worker is told to retry (503).
    const [first, second] = await Promise.all(held);
    expect([(first as FhirError).status, (second as FhirError).status]).toEqual([422, 503]);
  } finally {
    await workers.close();
  }
});

test('a document whose parsing passes CDA_WORKER_MEMORY_MB answers 422 too-costly; the worker is replaced, the server lives', async () => {
  // Before the heap limit, such a document grew the server's own memory until the host killed it (1.18 GB measured).
  const workers = CdaPlanWorkers.create(1, hungry, { jobTimeoutMs: 60_000, memoryMb: 32 }) as CdaPlanWorkers;
  const hostile = Buffer.from('HUNGRY document');
  try {
    const [first, queued] = await Promise.all([workers.plan(hostile, {}).catch((e: unknown) => e), workers.plan(fixture, {}).catch((e: unknown) => e)]);
    expect(first).toBeInstanceOf(FhirError);
    expect([(first as FhirError).status, (first as FhirError).outcome.issue[0].code]).toEqual([422, 'too-costly']);
    expect((first as FhirError).message).toMatch(/CDA_WORKER_MEMORY_MB/);
    // The document queued behind it on the same worker is told to retry.
    expect((queued as FhirError).status).toBe(503);
    // Hostile documents in a row do not count as workers failing to start: the pool never falls back to planning on
    // the request thread (where no memory limit holds); a worker still answers.
    for (let i = 0; i < 4; i++) expect(((await workers.plan(hostile, {}).catch((e: unknown) => e)) as FhirError).status).toBe(422);
    expect((await workers.plan(fixture, {})).documentId).toEqual({ system: 'worker', value: 'answered' });
  } finally {
    await workers.close();
  }
});

test('within its limits a real worker plans as before', async () => {
  const workers = CdaPlanWorkers.create(1, real, { jobTimeoutMs: 30_000, queueLimit: 4, memoryMb: 256 }) as CdaPlanWorkers;
  try {
    expect((await workers.plan(fixture, { maxBytes: 1_000_000 })).documentId).toBeTruthy();
  } finally {
    await workers.close();
  }
});
