import request from 'supertest';
import { createTestApp, FHIR_JSON, type TestApp } from '../support/test-app';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
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
