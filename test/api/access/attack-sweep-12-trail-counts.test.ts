import type { AuditEvent, Bundle, Communication, Resource } from '@medplum/fhirtypes';
import { type AuditServer, startAuditServer } from '../audit/server-harness';
import { byRpps, consent, INS_NIR, loadFixture, P1_INS, RPPS } from './fixture';

// Attack sweep 12b, issue 11 "every access is an AuditEvent the patient can read; the patient is notified of first
// accesses". A search's total tells of rows its page does not show: `_summary=count` with the patient's INS and a code
// answers whether she has such a result, and a total beyond the page counts her rows while the page shows another
// patient's. Both were filed in no trail of hers (the event named only what the page showed, or the query's `patient`),
// and a professional's first access made by a count sent no notice: he learnt what her record holds, she never knew.
let s: AuditServer;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  s = await startAuditServer();
  await loadFixture(s.server.service);
  // p5: a second record the specialist is authorised in, whose Observation sorts before p1's by id (descending).
  const p5: Resource[] = [
    { resourceType: 'Patient', id: 'p5', identifier: [{ system: INS_NIR, value: '290012100100112' }], name: [{ family: 'Roux', given: ['Test'] }], gender: 'female', birthDate: '1990-01-01' },
    consent('c5-open', 'p5', { type: 'permit' }),
    consent('c5-spec', 'p5', { type: 'permit', actor: [byRpps(RPPS.spec)] }),
    { resourceType: 'Observation', id: 'zz5-obs', status: 'final', code: { text: 'glycémie' }, subject: { reference: 'Patient/p5' } } as Resource,
  ];
  for (const resource of p5) await s.server.service.repo.update(s.systemContext(), resource);
  tokens.p1 = await s.token({ kind: 'patient', id: 'p1' });
  tokens.spec = await s.token({ kind: 'practitioner', id: RPPS.spec });
  tokens.gp = await s.token({ kind: 'practitioner', id: RPPS.gp });
}, 120_000);
afterAll(() => s?.close());

/** The events of p1's trail made by the professional of that RPPS, as p1 reads them. */
async function eventsBy(rpps: string): Promise<AuditEvent[]> {
  const res = await s.fhir(tokens.p1, 'GET', '/AuditEvent?patient=p1&_count=1000');
  expect(res.status).toBe(200);
  return ((res.body as Bundle).entry ?? []).map((e) => e.resource as AuditEvent)
    .filter((e) => e.agent?.some((a) => a.requestor && a.who?.identifier?.value === `8${rpps}`));
}

const queryOf = (e: AuditEvent): string => Buffer.from(e.entity?.find((x) => x.query)?.query ?? '', 'base64').toString('utf8');

/** p1's notices of a kind naming that RPPS, as p1 reads them. */
async function noticesAbout(kind: string, rpps: string): Promise<Communication[]> {
  const res = await s.fhir(tokens.p1, 'GET', '/Communication?patient=p1&_count=200');
  expect(res.status).toBe(200);
  return ((res.body as Bundle).entry ?? []).map((e) => e.resource as Communication)
    .filter((c) => c.category?.[0]?.coding?.[0]?.code === kind && (c.payload?.[0]?.contentString ?? '').includes(rpps));
}

describe('a count of her rows is an access in the patient’s trail', () => {
  it('files `_summary=count` by her INS in her trail, with the query that was counted', async () => {
    const before = (await eventsBy(RPPS.spec)).length;
    const res = await s.fhir(tokens.spec, 'GET', `/Observation?subject:Patient.identifier=${INS_NIR}|${P1_INS}&_summary=count`);
    expect(res.status).toBe(200);
    expect(res.body.total).toBeGreaterThan(0);
    expect(res.body.entry).toBeUndefined();
    const events = await eventsBy(RPPS.spec);
    expect(events).toHaveLength(before + 1);
    expect(queryOf(events[events.length - 1])).toContain('_summary=count');
  });

  it('files a total that counted her rows beyond a page showing another patient’s', async () => {
    const before = (await eventsBy(RPPS.spec)).length;
    const res = await s.fhir(tokens.spec, 'GET', '/Observation?_sort=-_id&_count=1');
    expect(res.status).toBe(200);
    // The page shows p5's row only; its total counts p1's rows too.
    expect(res.body.entry.map((e: { resource: Resource }) => e.resource.id)).toEqual(['zz5-obs']);
    expect(res.body.total).toBeGreaterThan(1);
    expect(await eventsBy(RPPS.spec)).toHaveLength(before + 1);
  });

  it('files nothing in her trail when the total counted none of her rows', async () => {
    const before = (await eventsBy(RPPS.spec)).length;
    const res = await s.fhir(tokens.spec, 'GET', '/Observation?subject=Patient/p5&_summary=count');
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(1);
    expect(await eventsBy(RPPS.spec)).toHaveLength(before);
  });

  it('tells her of a professional’s first access made by a count, once', async () => {
    expect(await noticesAbout('first-access', RPPS.gp)).toHaveLength(0);
    for (let i = 0; i < 2; i++) {
      const res = await s.fhir(tokens.gp, 'GET', '/AllergyIntolerance?_summary=count');
      expect(res.status).toBe(200);
      expect(res.body.total).toBe(1);
    }
    expect(await eventsBy(RPPS.gp)).toHaveLength(2);
    expect(await noticesAbout('first-access', RPPS.gp)).toHaveLength(1);
  });
});
