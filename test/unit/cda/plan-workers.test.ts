import fs from 'node:fs';
import path from 'node:path';
import { planCdaImport } from '../../../src/cda';
import { CdaPlanWorkers } from '../../../src/cda/plan-workers';
import { FhirError } from '../../../src/fhir/errors';

// The import operation parses CDA on worker threads when it can. Under Jest the module is TypeScript that
// only the test's own transform can load, so the pool is given the worker script explicitly (it registers tsx).

const script = path.resolve(__dirname, '../../../src/cda/plan-worker.ts');
const fixture = fs.readFileSync(path.resolve(__dirname, '../../../fixtures/cda/lab-report-two-results.xml'));

let workers: CdaPlanWorkers;
beforeAll(() => {
  workers = CdaPlanWorkers.create(2, script) as CdaPlanWorkers;
});
afterAll(() => workers.close());

test('a worker answers the plan the calling thread would have built', async () => {
  const plans = await Promise.all([1, 2, 3].map(() => workers.plan(fixture, { maxBytes: 1_000_000 })));
  const inline = planCdaImport(fixture, { maxBytes: 1_000_000 });
  // Resource ids are random per plan; everything else must be the same.
  const withoutIds = (plan: typeof inline) => JSON.parse(JSON.stringify(plan).replace(/urn:uuid:[0-9a-f-]{36}/g, 'urn:uuid:x'));
  for (const plan of plans) expect(withoutIds(plan)).toEqual(withoutIds(inline));
});

test('a refused document comes back as the same 4xx FhirError', async () => {
  const broken = Buffer.from('<ClinicalDocument xmlns="urn:hl7-org:v3"><id root="1.2"');
  const inline = (() => {
    try {
      planCdaImport(broken, { maxBytes: 1_000_000 });
    } catch (err) {
      return err as FhirError;
    }
  })();
  const fromWorker = await workers.plan(broken, { maxBytes: 1_000_000 }).catch((err: unknown) => err);
  expect(fromWorker).toBeInstanceOf(FhirError);
  expect((fromWorker as FhirError).status).toBe(inline?.status);
  expect((fromWorker as FhirError).outcome).toEqual(inline?.outcome);
});

test('no pool without a worker script, and a pool whose workers cannot start plans inline', async () => {
  expect(CdaPlanWorkers.create(2, undefined)).toBeUndefined();
  expect(CdaPlanWorkers.create(0, script)).toBeUndefined();
  const hopeless = CdaPlanWorkers.create(1, path.resolve(__dirname, 'no-such-worker.js')) as CdaPlanWorkers;
  try {
    // The first jobs fail with the workers; once they stop coming back, documents are planned on this thread.
    for (let attempt = 0; attempt < 5; attempt++) await hopeless.plan(fixture, { maxBytes: 1_000_000 }).catch(() => undefined);
    const plan = await hopeless.plan(fixture, { maxBytes: 1_000_000 });
    expect(plan.documentId).toEqual(planCdaImport(fixture).documentId);
  } finally {
    await hopeless.close();
  }
});
