import request from 'supertest';
import { routeTemplate } from '../../../src/http/metrics';
import { createTestApp } from '../../support/test-app';
import { loadFixture } from '../access/fixture';
import { startAuditServer, type AuditServer } from '../audit/server-harness';

// Prometheus metrics at /metrics, for the bearer of METRICS_TOKEN only; not served at all without one.

const TOKEN = 'metrics-test-token-8d1c';
let s: AuditServer;

beforeAll(async () => {
  s = await startAuditServer({}, { config: { metricsToken: TOKEN } });
  await loadFixture(s.server.service);
}, 120_000);
afterAll(() => s?.close());

const scrape = (token?: string) => fetch(`${s.server.url}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

test('refuses a scrape without the token or with a wrong one (401)', async () => {
  expect((await scrape()).status).toBe(401);
  expect((await scrape('not-the-token')).status).toBe(401);
});

test('counts requests by route template and status, and reports the queues and the pool', async () => {
  const patient = await s.token({ kind: 'patient', id: 'p1' });
  expect((await s.fhir(patient, 'GET', '/Patient/p1')).status).toBe(200);
  expect((await s.fhir(patient, 'GET', '/Patient/does-not-exist')).status).toBe(404);
  const res = await scrape(TOKEN);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/plain');
  const text = await res.text();
  expect(text).toMatch(/http_requests_total\{method="GET",route="\/fhir\/Patient\/:id",status="200"\} [1-9]/);
  expect(text).toMatch(/http_requests_total\{method="GET",route="\/fhir\/Patient\/:id",status="404"\} [1-9]/);
  expect(text).toMatch(/http_request_duration_seconds_bucket\{le="0.1",method="GET",route="\/fhir\/Patient\/:id",status="200"\}/);
  // No id, no patient reaches a label.
  expect(text).not.toContain('does-not-exist');
  expect(text).not.toContain('p1');
  for (const gauge of ['audit_queue_events', 'notify_outbox_backlog', 'notify_outbox_undeliverable', 'cda_queue_jobs']) expect(text).toMatch(new RegExp(`^${gauge} \\d+$`, 'm'));
  if (s.server.db.kind === 'pg') expect(text).toMatch(/^db_pool_connections \d+$/m);
  else console.log('db_pool_* not checked: PGlite has no pool (set TEST_DATABASE_URL)');
});

test('without METRICS_TOKEN /metrics is not served (404)', async () => {
  const t = await createTestApp();
  try {
    expect((await request(t.app).get('/metrics')).status).toBe(404);
  } finally {
    await t.close();
  }
});

test('route templates keep offered types and operations, replace ids, unknown types and unknown operations', () => {
  const isType = (t: string) => ['Patient', 'DocumentReference'].includes(t);
  const isOp = (n: string) => ['$everything', '$import'].includes(n);
  expect(routeTemplate('/fhir/Patient/123', '/fhir', isType, isOp)).toBe('/fhir/Patient/:id');
  expect(routeTemplate('/fhir/Patient/123/_history/4', '/fhir', isType, isOp)).toBe('/fhir/Patient/:id/_history/:vid');
  expect(routeTemplate('/fhir/Patient/123/$everything', '/fhir', isType, isOp)).toBe('/fhir/Patient/:id/$everything');
  expect(routeTemplate('/fhir/DocumentReference/$import', '/fhir', isType, isOp)).toBe('/fhir/DocumentReference/$import');
  expect(routeTemplate('/fhir/Nonsense/1', '/fhir', isType, isOp)).toBe('/fhir/:type/:id');
  expect(routeTemplate('/fhir/$made-up-1', '/fhir', isType, isOp)).toBe('/fhir/:op');
  expect(routeTemplate('/fhir/Patient/1/$made-up-2', '/fhir', isType, isOp)).toBe('/fhir/Patient/:id/:op');
  expect(routeTemplate('/fhir', '/fhir', isType, isOp)).toBe('/fhir/');
  expect(routeTemplate('/readyz', '/fhir', isType, isOp)).toBe('/readyz');
  expect(routeTemplate('/some/random/path', '/fhir', isType, isOp)).toBe('other');
  expect(routeTemplate('/auth/anything-1', '/fhir', isType, isOp)).toBe('other');
});

test('callers cannot add series: made-up operations, sign-in paths and discovery paths all fall under fixed labels', async () => {
  const patient = await s.token({ kind: 'patient', id: 'p1' });
  const before = (await (await scrape(TOKEN)).text()).split('\n').filter((l) => l.startsWith('http_requests_total{')).length;
  for (let i = 0; i < 40; i++) {
    await s.fhir(patient, 'GET', `/$made-up-${i}`);
    await s.fhir(patient, 'GET', `/Patient/p1/$made-up-${i}`);
    await fetch(`${s.server.url}/auth/made-up-${i}`);
    await fetch(`${s.server.url}/.well-known/made-up-${i}`);
  }
  expect((await fetch(`${s.server.url}/.well-known/smart-configuration`)).status).toBe(200);
  const text = await (await scrape(TOKEN)).text();
  const series = text.split('\n').filter((l) => l.startsWith('http_requests_total{'));
  expect(text).not.toContain('made-up');
  // At most a handful of new series (the fixed placeholders and statuses), not one per request.
  expect(series.length - before).toBeLessThan(10);
  // A route the app declares keeps its own name.
  expect(text).toMatch(/http_requests_total\{method="GET",route="\/\.well-known\/smart-configuration",status="200"\} 1/);
});
