import request from 'supertest';
import { everythingOperation } from '../../src/access/everything-operation';
import { createTestApp, FHIR_JSON, type TestApp } from '../support/test-app';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ operations: [everythingOperation] });
});
afterAll(async () => {
  await t.close();
});

async function createPatients(n: number, family: string): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await request(t.app).post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', name: [{ family, given: [`n${i}`] }] });
    ids.push(res.body.id);
  }
  return ids;
}

/** Follows a link (absolute URL) through the app. */
async function follow(url: string) {
  return request(t.app).get(new URL(url).pathname + new URL(url).search);
}

type Page = { total: number; link: { relation: string; url: string }[]; entry?: { resource: { id: string } }[] };
const link = (page: Page, relation: string) => page.link.find((l) => l.relation === relation)?.url;
const pageIds = (page: Page) => (page.entry ?? []).map((e) => e.resource.id);

describe('paging', () => {
  it('walks every page once, keeps working while data is added, and can go back', async () => {
    const original = await createPatients(25, 'Pager');
    const first = (await request(t.app).get('/fhir/Patient?family=pager&_count=10')).body as Page;
    expect(first.total).toBe(25);
    expect(pageIds(first)).toHaveLength(10);
    expect(link(first, 'previous')).toBeUndefined();
    const added = await createPatients(3, 'Pager');
    const seen = [...pageIds(first)];
    let page = first;
    const pages: Page[] = [first];
    while (link(page, 'next')) {
      page = (await follow(link(page, 'next') as string)).body as Page;
      pages.push(page);
      seen.push(...pageIds(page));
    }
    expect(seen).toEqual([...original, ...added]);
    expect(new Set(seen).size).toBe(28);
    expect(page.total).toBe(28);
    // Back from the last page gives exactly the page before it.
    const back = (await follow(link(page, 'previous') as string)).body as Page;
    expect(pageIds(back)).toEqual(pageIds(pages[pages.length - 2]));
  });

  it('pages with a descending sort too', async () => {
    const ids = await createPatients(7, 'Desc');
    const all: string[] = [];
    let res = (await request(t.app).get('/fhir/Patient?family=desc&_count=3&_sort=-_lastUpdated')).body as Page;
    all.push(...pageIds(res));
    while (link(res, 'next')) {
      res = (await follow(link(res, 'next') as string)).body as Page;
      all.push(...pageIds(res));
    }
    expect(all).toEqual([...ids].reverse());
  });

  it('caps _count at 1000 and returns no entries for _count=0 with the total', async () => {
    const res = await request(t.app).get('/fhir/Patient?_count=5000');
    expect(res.status).toBe(200);
    expect(link(res.body, 'self')).toMatch(/_count=1000/);
    const zero = await request(t.app).get('/fhir/Patient?_count=0');
    expect(zero.body.entry).toBeUndefined();
    expect(zero.body.total).toBeGreaterThan(0);
  });
});

describe('history', () => {
  it('lists type and system history newest first, paged', async () => {
    const [id] = await createPatients(1, 'Historic');
    const current = (await request(t.app).get(`/fhir/Patient/${id}`)).body;
    await request(t.app).put(`/fhir/Patient/${id}`).set('Content-Type', FHIR_JSON).send({ ...current, gender: 'female' });
    const typeHistory = (await request(t.app).get('/fhir/Patient/_history?_count=2')).body;
    expect(typeHistory.type).toBe('history');
    expect(typeHistory.entry[0].resource.id).toBe(id);
    expect(typeHistory.entry[0].resource.meta.versionId).toBe('2');
    expect(typeHistory.entry[0].request.method).toBe('PUT');
    expect(typeHistory.entry[1].resource.meta.versionId).toBe('1');
    const next = typeHistory.link.find((l: { relation: string }) => l.relation === 'next');
    expect(next).toBeDefined();
    const system = (await request(t.app).get('/fhir/_history?_count=1')).body;
    expect(system.entry).toHaveLength(1);
    const since = (await request(t.app).get(`/fhir/_history?_since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).body;
    expect(since.entry).toBeUndefined();
  });
});

/** A cursor of a link, its JSON decoded, changed by `edit`, encoded again: what a client tampering with it sends. */
function tamper(url: string, edit: (cursor: { s: string; k: string[]; d: string }) => unknown): string {
  const u = new URL(url);
  const cursor = JSON.parse(Buffer.from(u.searchParams.get('_cursor') as string, 'base64url').toString('utf8'));
  u.searchParams.set('_cursor', Buffer.from(JSON.stringify(edit(cursor))).toString('base64url'));
  return u.toString();
}

async function expect400(url: string): Promise<void> {
  const res = await follow(url);
  expect(res.status).toBe(400);
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.body.issue[0].diagnostics).toMatch(/_cursor/);
}

describe('one keyset paging for search, history and $everything', () => {
  let patientId: string;
  beforeAll(async () => {
    [patientId] = await createPatients(1, 'Cursorial');
    for (let i = 0; i < 4; i++) {
      const current = (await request(t.app).get(`/fhir/Patient/${patientId}`)).body;
      await request(t.app).put(`/fhir/Patient/${patientId}`).set('Content-Type', FHIR_JSON).send({ ...current, gender: i % 2 ? 'male' : 'female' });
    }
    for (let i = 0; i < 5; i++) {
      const res = await request(t.app).post('/fhir/Observation').set('Content-Type', FHIR_JSON).send({
        resourceType: 'Observation', status: 'final', code: { text: `obs ${i}` }, subject: { reference: `Patient/${patientId}` },
      });
      expect(res.status).toBe(201);
    }
  });

  it('walks an instance history page by page, newest first, each version once', async () => {
    const versions: string[] = [];
    type HistoryPage = { link: Page['link']; entry: { resource: { meta: { versionId: string } } }[] };
    let page = (await request(t.app).get(`/fhir/Patient/${patientId}/_history?_count=2`)).body as HistoryPage;
    versions.push(...page.entry.map((e) => e.resource.meta.versionId));
    while (page.link.some((l) => l.relation === 'next')) {
      page = (await follow(page.link.find((l) => l.relation === 'next')?.url as string)).body;
      versions.push(...page.entry.map((e) => e.resource.meta.versionId));
    }
    expect(versions).toEqual(['5', '4', '3', '2', '1']);
  });

  it('walks $everything page by page with its total, each resource once', async () => {
    const seen: string[] = [];
    let page = (await request(t.app).get(`/fhir/Patient/${patientId}/$everything?_count=2`)).body as Page;
    const total = page.total;
    seen.push(...pageIds(page));
    while (link(page, 'next')) {
      page = (await follow(link(page, 'next') as string)).body as Page;
      seen.push(...pageIds(page));
    }
    expect(total).toBe(6); // the Patient and its five Observations
    expect(new Set(seen).size).toBe(6);
  });

  it('answers 400 with an OperationOutcome, never a 5xx, for a forged, altered or foreign cursor', async () => {
    const search = link((await request(t.app).get('/fhir/Patient?_count=1')).body, 'next') as string;
    const history = link((await request(t.app).get(`/fhir/Patient/${patientId}/_history?_count=1`)).body, 'next') as string;
    const everything = link((await request(t.app).get(`/fhir/Patient/${patientId}/$everything?_count=1`)).body, 'next') as string;
    for (const url of [search, history, everything]) {
      expect((await follow(url)).status).toBe(200);
      await expect400(url.replace(/_cursor=[^&]+/, '_cursor=garbage%21'));
      await expect400(url.replace(/_cursor=[^&]+/, `_cursor=${Buffer.from('{"k":[]}').toString('base64url')}`));
      await expect400(tamper(url, (c) => ({ ...c, s: 'search:AAAAAAAAAAAAAAAA' })));
      await expect400(tamper(url, (c) => ({ ...c, k: [...c.k, 'extra'] })));
      await expect400(tamper(url, (c) => ({ ...c, k: c.k.map(() => 'x\u0000y') })));
      await expect400(tamper(url, (c) => ({ ...c, d: 'sideways' })));
    }
    // Values PostgreSQL could not cast: an impossible date, words for a timestamp, letters for a version number.
    await expect400(tamper(search, (c) => ({ ...c, k: ['2026-02-30 10:00:00+00', c.k[1]] })));
    await expect400(tamper(search, (c) => ({ ...c, k: ['tomorrow', c.k[1]] })));
    await expect400(tamper(history, (c) => ({ ...c, k: [c.k[0], c.k[1], c.k[2], 'seven'] })));
    // A cursor belongs to its query: another type's search, another record's $everything, search vs history.
    await expect400(search.replace('/Patient?', '/Observation?'));
    await expect400(`${history.split('?')[0].replace(/\/_history$/, '')}/$everything?${new URL(history).search.slice(1)}`);
    const [other] = await createPatients(1, 'Cursorial');
    await expect400(everything.replace(`/Patient/${patientId}/`, `/Patient/${other}/`));
  });

  it('bounds the page size of history and $everything as it does for search', async () => {
    const history = await request(t.app).get(`/fhir/Patient/${patientId}/_history?_count=5000`);
    expect(history.status).toBe(200);
    expect(link(history.body, 'self')).toMatch(/_count=5000/);
    const everything = await request(t.app).get(`/fhir/Patient/${patientId}/$everything?_count=5000`);
    // $everything is bounded tighter (EVERYTHING_MAX_COUNT, default 200: each entry may carry a document).
    expect(link(everything.body, 'self')).toMatch(/_count=200/);
    for (const url of [`/fhir/Patient/${patientId}/_history?_count=ten`, `/fhir/Patient/${patientId}/$everything?_count=-1`]) {
      const res = await request(t.app).get(url);
      expect(res.status).toBe(400);
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
    const zero = await request(t.app).get(`/fhir/_history?_count=0`);
    expect(zero.status).toBe(200);
    expect(zero.body.entry).toBeUndefined();
  });
});
