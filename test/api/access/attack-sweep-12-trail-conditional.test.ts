import type { Bundle, Communication } from '@medplum/fhirtypes';
import { useAuditFixtureServer } from './audit-fixture-server';
import { p1Trail } from './p1-trail';
import { RPPS } from './fixture';

// Attack sweep 12b, issue 11 "every access is an AuditEvent the patient can read". A conditional create whose
// If-None-Exist matches one row answers 200 with that row, whole: a professional authorised in p1 read her allergy
// (`POST /AllergyIntolerance`, `If-None-Exist: patient=p1`) with no event in her trail and, the first time, no
// first-access notice. The row shown is now audited as the search its criteria are, directly and as a batch entry.

const { s, tokens } = useAuditFixtureServer({
  p1: { kind: 'patient', id: 'p1' },
  spec: { kind: 'practitioner', id: RPPS.spec },
  gp: { kind: 'practitioner', id: RPPS.gp },
});
const { eventsBy } = p1Trail(() => s, () => tokens.p1);

async function firstAccessNotices(rpps: string): Promise<Communication[]> {
  const res = await s.fhir(tokens.p1, 'GET', '/Communication?patient=p1&_count=200');
  return ((res.body as Bundle).entry ?? []).map((e) => e.resource as Communication)
    .filter((c) => c.category?.[0]?.coding?.[0]?.code === 'first-access' && (c.payload?.[0]?.contentString ?? '').includes(rpps));
}

const allergy = { resourceType: 'AllergyIntolerance', patient: { reference: 'Patient/p1' }, code: { text: 'arachide' } };

describe('a conditional create answering the row it matched is audited as a read of it', () => {
  it('files the matched allergy in p1’s trail', async () => {
    const before = (await eventsBy(RPPS.spec)).length;
    const res = await s.fhir(tokens.spec, 'POST', '/AllergyIntolerance', allergy, { 'If-None-Exist': 'patient=p1' });
    expect(res.status).toBe(200);
    expect(res.body.id).toBe('a1');
    expect(res.body.code.text).toBe('peanut');
    const events = await eventsBy(RPPS.spec);
    expect(events).toHaveLength(before + 1);
    expect((events[events.length - 1].entity ?? []).map((x) => x.what?.reference)).toContain('AllergyIntolerance/a1/_history/1');
  });

  it('files a batch entry’s match too, and tells p1 of a first access made so, once', async () => {
    const entry = { resource: allergy, request: { method: 'POST', url: 'AllergyIntolerance', ifNoneExist: 'patient=p1' } };
    for (let i = 0; i < 2; i++) {
      const res = await s.fhir(tokens.gp, 'POST', '', { resourceType: 'Bundle', type: 'batch', entry: [entry] });
      expect(res.status).toBe(200);
      expect(res.body.entry[0].response.status).toMatch(/^200/);
    }
    expect(await eventsBy(RPPS.gp)).toHaveLength(2);
    expect(await firstAccessNotices(RPPS.gp)).toHaveLength(1);
  });
});
