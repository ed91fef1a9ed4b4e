import type { Bundle } from '@medplum/fhirtypes';
import { useAuditFixtureServer } from './audit-fixture-server';
import { p1Trail } from './p1-trail';
import { SPEC_SECOND_RECORD } from './spec-second-record';
import { RPPS } from './fixture';

// A search's total is an access to every record it counts, filed in each of their trails (attack sweep 12b,
// attack-sweep-12-trail-counts.test.ts). Unbounded, one `Observation?_summary=count` by a professional authorised in
// thousands of records filed thousands of events, and as many first-access notices, for one request. Rule: a total may
// count at most MAX_COUNTED_RECORDS records; past it `_summary=count` answers 422 too-costly and a page comes without its
// total (a warning says why), so nothing is counted that is not filed. Here the bound is 1, and the specialist is
// authorised in p1 and p5, each holding Observations.

const { s, tokens } = useAuditFixtureServer({
  p1: { kind: 'patient', id: 'p1' },
  spec: { kind: 'practitioner', id: RPPS.spec },
}, { extra: SPEC_SECOND_RECORD, config: { maxCountedRecords: 1 } });
const { eventsBy } = p1Trail(() => s, () => tokens.p1);
const p1EventsBySpec = () => eventsBy(RPPS.spec);

describe('a total counts no more records than it can file in their trails', () => {
  it('refuses `_summary=count` over two records with 422 too-costly, and files nothing in p1’s trail', async () => {
    const before = (await p1EventsBySpec()).length;
    const res = await s.fhir(tokens.spec, 'GET', '/Observation?_summary=count');
    expect(res.status).toBe(422);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].code).toBe('too-costly');
    expect(res.body.issue[0].diagnostics).toMatch(/MAX_COUNTED_RECORDS/);
    expect(res.body.total).toBeUndefined();
    expect(await p1EventsBySpec()).toHaveLength(before);
  });

  it('answers a page over two records without its total, says why, and files only the record the page shows', async () => {
    const before = (await p1EventsBySpec()).length;
    const res = await s.fhir(tokens.spec, 'GET', '/Observation?_sort=-_id&_count=1');
    expect(res.status).toBe(200);
    const entries = (res.body as Bundle).entry ?? [];
    expect(entries.filter((e) => e.search?.mode === 'match').map((e) => e.resource?.id)).toEqual(['zz5-obs']);
    expect(res.body.total).toBeUndefined();
    const outcome = entries.find((e) => e.search?.mode === 'outcome')?.resource as { issue: { diagnostics: string }[] } | undefined;
    expect(outcome?.issue.map((i) => i.diagnostics).join(' ')).toMatch(/No total.*MAX_COUNTED_RECORDS/);
    // The page showed p5's row only, and nothing of p1 was counted.
    expect(await p1EventsBySpec()).toHaveLength(before);
    expect(res.body.link.some((l: { relation: string }) => l.relation === 'next')).toBe(true);
  });

  it('still counts within the bound: one record', async () => {
    const res = await s.fhir(tokens.spec, 'GET', '/Observation?subject=Patient/p5&_summary=count');
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(1);
  });
});
