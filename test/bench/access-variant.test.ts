import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Bundle, Patient } from '@medplum/fhirtypes';
import request from 'supertest';
import { Dataset } from '../../bench/dataset';
import { documentId, patientId, patientOfDocument, practitionerId } from '../../bench/ids';
import { seedDataset } from '../../bench/seed';
import { buildAccessServer, prepareAccess, practitionerTokens, specialistOf } from '../../bench/variants/access';
import { loadConfig } from '../../src/config';
import { createTestDb, type TestDb } from '../support/test-db';

const SIZE = { patients: 30, documents: 400 };
const dataset = new Dataset(SIZE);

describe('the access bench variant', () => {
  let testDb: TestDb;
  let dataDir: string;
  let handler: Parameters<typeof request>[0];
  let tokens: string[];

  beforeAll(async () => {
    testDb = await createTestDb();
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-access-test-'));
    await seedDataset(testDb.db, dataset, { batchSize: 64 });
    await prepareAccess(testDb.db, dataset);
    const config = loadConfig({}, { logLevel: 'silent', dataDir });
    tokens = await practitionerTokens(config, dataset.practitioners);
    handler = (await buildAccessServer(testDb.db, config)).handler;
  }, 120_000);

  afterAll(async () => {
    await testDb?.drop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const specialistToken = (n: number): string => `Bearer ${tokens[specialistOf(n, dataset.practitioners)]}`;
  // Neither the treating physician (n), nor the authorised specialist (n + 1), nor an author of his documents.
  const strangerToken = (n: number): string => {
    const authors = new Set(documentsOf(n).map((id) => dataset.document(Number.parseInt(id.slice(-12), 16)).values.slots.PRAC));
    const k = Array.from({ length: dataset.practitioners }, (_, i) => i).find(
      (i) => i !== n % dataset.practitioners && i !== specialistOf(n, dataset.practitioners) && !authors.has(practitionerId(i)),
    );
    if (k === undefined) throw new Error('no stranger practitioner in the data set');
    return `Bearer ${tokens[k]}`;
  };
  const documentsOf = (n: number): string[] =>
    Array.from({ length: SIZE.documents }, (_, d) => d).filter((d) => patientOfDocument(d, SIZE.patients) === n).map(documentId);

  it('lets the authorised specialist search the patient documents, with a total', async () => {
    const n = 7;
    const res = await request(handler)
      .get(`/fhir/DocumentReference?patient=${patientId(n)}&_count=20&_total=accurate`)
      .set('authorization', specialistToken(n));
    expect(res.status).toBe(200);
    const bundle = res.body as Bundle;
    expect(bundle.total).toBeGreaterThan(0);
    expect(bundle.entry?.length).toBeGreaterThan(0);
    const own = documentsOf(n);
    for (const entry of bundle.entry ?? []) expect(own).toContain(entry.resource?.id);
  });

  it('lets the authorised specialist read the patient', async () => {
    const n = 3;
    const res = await request(handler).get(`/fhir/Patient/${patientId(n)}`).set('authorization', specialistToken(n));
    expect(res.status).toBe(200);
    expect((res.body as Patient).id).toBe(patientId(n));
  });

  it('hides the record from a practitioner the patient did not authorise', async () => {
    const n = 7;
    const read = await request(handler).get(`/fhir/Patient/${patientId(n)}`).set('authorization', strangerToken(n));
    expect(read.status).toBe(404);
    const search = await request(handler)
      .get(`/fhir/DocumentReference?patient=${patientId(n)}&_count=20&_total=accurate`)
      .set('authorization', strangerToken(n));
    expect(search.status).toBe(200);
    expect((search.body as Bundle).total).toBe(0);
    expect((search.body as Bundle).entry ?? []).toEqual([]);
  });

  it('refuses a request without a token', async () => {
    const res = await request(handler).get(`/fhir/Patient/${patientId(1)}`);
    expect(res.status).toBe(401);
  });
});
