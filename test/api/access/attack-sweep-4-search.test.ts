import { useSweepServer } from './sweep-4';

// Issue 11's outside check, fourth sweep, family "search parameter tricks", over HTTP on the production composition.
// Rule (DESIGN §3, README "Constrained scopes" and "Every hop"): every modifier, chain, _has level, include and sort
// works on rows the caller reads and counts only them; what the server does not support is refused (400), never
// answered over unfiltered rows. All held on the landed server; kept as regressions.
// Fixture: p2's patient reads nothing of p1; the unauthorised professional reads no record; d2 is masked from spec.

const { call } = useSweepServer('dmp-sweep4-search-');
const count = async (who: 'p2' | 'unauth' | 'spec', url: string): Promise<number> => {
  const res = await call(who, 'GET', `${url}${url.includes('?') ? '&' : '?'}_summary=count`);
  expect([url, res.status]).toEqual([url, 200]);
  return res.body.total as number;
};

it('modifiers count only readable rows: :missing, :not, :contains (what p2 or an unauthorised professional learns of p1)', async () => {
  const p2Own = await count('p2', '/Observation');
  expect(await count('p2', '/Observation?subject:missing=false')).toBe(p2Own);
  expect(await count('p2', '/Observation?subject:missing=true')).toBe(0);
  expect(await count('p2', '/Observation?code:not=zz')).toBe(p2Own);
  expect(await count('unauth', '/Observation?code:not=zz')).toBe(0);
  expect(await count('unauth', '/Patient?name:contains=art')).toBe(0);
  expect(await count('unauth', '/Patient?name:missing=false')).toBe(0);
  expect(await count('spec', '/Observation?has-member:missing=false&_id=d2-obs')).toBe(0);
});

it('unsupported modifiers, chained sorts and revincludes of types not offered answer 400', async () => {
  for (const url of ['/Observation?subject:not=Patient/p1', '/Observation?code:text=result', '/DocumentReference?type:below=http://loinc.org|11488-4', '/Observation?_sort=subject:Patient.name', '/DocumentReference?_id=d1&_revinclude=Provenance:target']) {
    expect([url, (await call('p2', 'GET', url)).status]).toEqual([url, 400]);
  }
});

it('three-hop chains and twice-nested _has see through no hidden hop', async () => {
  expect(await count('p2', '/Observation?derived-from:DocumentReference.subject:Patient.name=Martin')).toBe(0);
  expect(await count('p2', '/Patient?_has:Observation:subject:_has:Observation:has-member:_id=d1-obs')).toBe(0);
  expect(await count('spec', '/Patient?_has:Observation:subject:_has:Observation:derived-from:_id=d2')).toBe(0);
  expect(await count('spec', '/Observation?derived-from:DocumentReference._id=d2')).toBe(0);
});

it('_filter and _list are ignored (never answered over hidden rows), a huge _count is capped, sort orders only readable rows', async () => {
  const visible = await count('spec', '/DocumentReference');
  expect(await count('spec', '/DocumentReference?_filter=id%20eq%20d2')).toBe(visible);
  expect(await count('spec', '/DocumentReference?_list=x')).toBe(visible);
  const huge = await call('spec', 'GET', '/Observation?_count=100000&_sort=-_lastUpdated');
  expect(huge.status).toBe(200);
  expect(huge.body.link[0].url).toContain('_count=1000');
  const seen = (huge.body.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id);
  expect(seen).toHaveLength(huge.body.total);
  expect(seen.filter((id: string) => ['d2-obs', 'e1-obs', 'f1-obs', 'g1-obs'].includes(id))).toEqual([]);
});

it('_revinclude of AuditEvents brings no trail entry to a professional (he reads no trail); AuditEvent:entity, which no event row answers, is refused', async () => {
  // The events' rows answer the trail's parameters only (`restrictSearchParams`): `entity` is not one, so it is refused
  // rather than answered empty as if complete.
  const entity = await call('spec', 'GET', '/DocumentReference?_id=d1&_revinclude=AuditEvent:entity');
  expect(entity.status).toBe(400);
  expect(entity.body.issue[0].diagnostics).toBe('"entity" is not a reference parameter of AuditEvent');
  // `agent` is stored: a professional's own events (he is their agent) still do not reach him.
  const agent = await call('spec', 'GET', '/Practitioner?_revinclude=AuditEvent:agent');
  expect(agent.status).toBe(200);
  expect((agent.body.entry ?? []).filter((e: { resource: { resourceType: string } }) => e.resource.resourceType === 'AuditEvent')).toEqual([]);
  expect((agent.body.entry ?? []).length).toBeGreaterThan(0);
});
