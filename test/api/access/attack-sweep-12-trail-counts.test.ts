import type { AuditEvent, Resource } from '@medplum/fhirtypes';
import { useAuditFixtureServer } from './audit-fixture-server';
import { p1Trail } from './p1-trail';
import { SPEC_SECOND_RECORD } from './spec-second-record';
import { INS_NIR, P1_INS, RPPS } from './fixture';

// Attack sweep 12b, issue 11 "every access is an AuditEvent the patient can read; the patient is notified of first
// accesses". A search's total tells of rows its page does not show: `_summary=count` with the patient's INS and a code
// answers whether she has such a result, and a total beyond the page counts her rows while the page shows another
// patient's. Both were filed in no trail of hers (the event named only what the page showed, or the query's `patient`),
// and a professional's first access made by a count sent no notice: he learnt what her record holds, she never knew.

const { s, tokens } = useAuditFixtureServer({
  p1: { kind: 'patient', id: 'p1' },
  spec: { kind: 'practitioner', id: RPPS.spec },
  gp: { kind: 'practitioner', id: RPPS.gp },
}, { extra: SPEC_SECOND_RECORD });
const { eventsBy, noticesAbout } = p1Trail(() => s, () => tokens.p1);

const queryOf = (e: AuditEvent): string => Buffer.from(e.entity?.find((x) => x.query)?.query ?? '', 'base64').toString('utf8');

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
