import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { Bundle } from '@medplum/fhirtypes';
import { loadFixture, P1_INS } from '../access/fixture';
import { startAuditServer, type AuditServer } from '../audit/server-harness';

// Issue 14, bounded work: one 21 KB batch of 200 `$everything` entries answered 254 MB in 25 s and grew the server
// by 1.2 GB. The production composition with small limits, so each refusal is reached with the access fixture.

let s: AuditServer;
let patient: string;
const LIMITS = { maxResponseSize: 64 * 1024, maxBundleEntries: 250, everythingMaxCount: 3, maxIncluded: 2 };

beforeAll(async () => {
  s = await startAuditServer({}, { config: LIMITS });
  await loadFixture(s.server.service);
  patient = await s.token({ kind: 'patient', id: 'p1' });
}, 120_000);
afterAll(() => s?.close());

const batchOf = (n: number, url: string): Bundle => ({
  resourceType: 'Bundle',
  type: 'batch',
  entry: Array.from({ length: n }, () => ({ request: { method: 'GET', url } })),
});

const outcome = (body: { resourceType: string; issue: { code: string; diagnostics: string }[] }) => ({ resourceType: body.resourceType, code: body.issue[0].code });

// Bounded memory, measured so that a loaded machine does not fail it: the heap is collected once before the batch (the
// live heap it starts from), then `heapUsed` is sampled every 50 ms while the batch runs, garbage included. Without the
// collection, `heapUsed` alone read 177–185 MB of uncollected garbage on a loaded machine for a batch whose live heap grew
// by 16 MB; collecting every 100 ms during the batch took a CI worker (a 2 GB heap) past the test's 120 s. A batch that
// kept every entry's answer (issue 14: 254 MB answered, the server grown by 1.2 GB) peaks far above the bound.
setFlagsFromString('--expose_gc');
const collect = runInNewContext('gc') as () => void;

test('a batch of 200 $everything entries stops at MAX_RESPONSE_SIZE with a 422 too-costly, quickly and in bounded memory', async () => {
  collect();
  const heapBefore = process.memoryUsage().heapUsed;
  let peak = heapBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 50);
  const started = Date.now();
  const res = await s.fhir(patient, 'POST', '', batchOf(200, 'Patient/p1/$everything?_count=1000')).finally(() => clearInterval(sampler));
  const elapsed = Date.now() - started;
  peak = Math.max(peak, process.memoryUsage().heapUsed);
  expect(res.status).toBe(422);
  expect(outcome(res.body)).toEqual({ resourceType: 'OperationOutcome', code: 'too-costly' });
  expect(res.body.issue[0].diagnostics).toContain('MAX_RESPONSE_SIZE');
  expect(elapsed).toBeLessThan(15_000);
  // The server runs in this process: what the batch kept is bounded by the limit, not by its 200 entries.
  expect(peak - heapBefore).toBeLessThan(400 * 1024 ** 2);
  // And the server still answers.
  expect((await s.fhir(patient, 'GET', '/Patient/p1')).status).toBe(200);
});

test('a batch with more entries than MAX_BUNDLE_ENTRIES is refused whole with 413 before any entry runs', async () => {
  const res = await s.fhir(patient, 'POST', '', batchOf(251, 'Patient/p1'));
  expect(res.status).toBe(413);
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.body.issue[0].diagnostics).toContain('MAX_BUNDLE_ENTRIES');
  // A transaction too: the same limit.
  const tx = { ...batchOf(251, 'Patient/p1'), type: 'transaction' };
  expect((await s.fhir(patient, 'POST', '', tx)).status).toBe(413);
  // At the limit, it runs.
  expect((await s.fhir(patient, 'POST', '', batchOf(2, 'Patient/p1'))).status).toBe(200);
});

test('$everything lowers a _count above EVERYTHING_MAX_COUNT to it and pages the rest', async () => {
  const res = await s.fhir(patient, 'GET', '/Patient/p1/$everything?_count=1000');
  expect({ status: res.status, issue: res.body.issue }).toEqual({ status: 200, issue: undefined });
  expect(res.body.entry.length).toBe(3);
  expect(res.body.total).toBeGreaterThan(3);
  const next = res.body.link.find((l: { relation: string }) => l.relation === 'next');
  expect(next.url).toContain('_count=3');
});

test('_revinclude adding more than MAX_INCLUDED resources answers 422 too-costly, not a silently cut page', async () => {
  const res = await s.fhir(patient, 'GET', '/Patient?_id=p1&_revinclude=AllergyIntolerance:patient&_revinclude=RelatedPerson:patient&_revinclude=Consent:patient');
  expect(res.status).toBe(422);
  expect(outcome(res.body)).toEqual({ resourceType: 'OperationOutcome', code: 'too-costly' });
  expect(res.body.issue[0].diagnostics).toContain('MAX_INCLUDED');
  // Within the limit the includes are there.
  const one = await s.fhir(patient, 'GET', '/Patient?_id=p1&_revinclude=AllergyIntolerance:patient');
  expect(one.status).toBe(200);
  expect(one.body.entry.map((e: { search: { mode: string } }) => e.search.mode)).toEqual(['match', 'include']);
});

test('a batch of many small reads stops at MAX_RESPONSE_SIZE too', async () => {
  const res = await s.fhir(patient, 'POST', '', batchOf(240, `Patient?identifier=${encodeURIComponent(`urn:oid:1.2.250.1.213.1.4.8|${P1_INS}`)}`));
  expect(res.status).toBe(422);
  expect(res.body.issue[0].code).toBe('too-costly');
});

test('a single answer larger than MAX_RESPONSE_SIZE is refused with 422 too-costly', async () => {
  // By now the patient's trail holds hundreds of AuditEvents (every read above was audited): a page of 1000 passes 64 KB.
  const res = await s.fhir(patient, 'GET', '/AuditEvent?patient=p1&_count=1000');
  expect(res.status).toBe(422);
  expect(res.body.issue[0].code).toBe('too-costly');
  expect(res.body.issue[0].diagnostics).toContain('MAX_RESPONSE_SIZE');
});
