import { P2_INS } from './fixture';
import { withInsKey } from './ins-values';
import { shape, useSweepServer } from './sweep-4';

// Issue 11's outside check, fourth sweep, family "reference tricks": rows written with references to rows hidden from
// their writer (or from whoever reads them later), read back through _include, :iterate, _revinclude, chains and
// $everything; contained resources naming another patient; transaction fullUrl and urn:uuid placeholders. Rule (DESIGN
// §3: "_include, _revinclude, _history, $everything … can never leak a masked or forbidden resource"; §5 "Hidden is
// absent"): a reference one writes never opens what it points at. All held on the landed server; kept as regressions.
// Fixture: d2 masked from spec; e1 is p2's document; spec is not authorised on p2.

const { call } = useSweepServer('dmp-sweep4-references-');
const observation = (extra: Record<string, unknown> = {}) => ({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p1' }, ...extra });
const ids = (body: { entry?: { resource: { id: string } }[] }): string[] => (body?.entry ?? []).map((e) => e.resource.id);
const HIDDEN_FROM_SPEC = ['d2', 'd2-obs', 'd2-bin', 'e1', 'e1-obs', 'e1-bin'];

it('a professional\'s panel naming hidden results brings none of them back, at any hop', async () => {
  // What he would gain: the masked result d2-obs and another patient's e1-obs, by pointing his own panel at them.
  const panel = await call('spec', 'POST', '/Observation', observation({ hasMember: [{ reference: 'Observation/d2-obs' }, { reference: 'Observation/e1-obs' }], derivedFrom: [{ reference: 'DocumentReference/d2' }] }));
  expect(panel.status).toBe(201);
  const id = panel.body.id as string;
  for (const url of [
    `/Observation?_id=${id}&_include=Observation:has-member&_include=Observation:derived-from`,
    `/Observation?_id=${id}&_include:iterate=Observation:has-member&_include:iterate=Observation:derived-from`,
    '/Observation?_id=d2-obs,e1-obs&_revinclude=Observation:has-member',
    `/Observation?_id=${id}&has-member:Observation._id=d2-obs`,
    '/Patient/p1/$everything?_count=500',
  ]) {
    const res = await call('spec', 'GET', url);
    expect([url, res.status]).toEqual([url, 200]);
    expect([url, ids(res.body).filter((x) => HIDDEN_FROM_SPEC.includes(x))]).toEqual([url, []]);
  }
  expect((await call('spec', 'GET', `/Observation?_id=${id}&has-member:Observation._id=d2-obs&_summary=count`)).body.total).toBe(0);
});

it('another patient\'s panel naming p1\'s result brings it back to him nowhere', async () => {
  const panel = await call('p2', 'POST', '/Observation', observation({ subject: { reference: 'Patient/p2' }, hasMember: [{ reference: 'Observation/d1-obs' }] }));
  expect(panel.status).toBe(201);
  for (const url of [`/Observation?_id=${panel.body.id}&_include=Observation:has-member`, `/Observation?_id=${panel.body.id}&_include:iterate=Observation:has-member`, '/Patient/p2/$everything?_count=500']) {
    expect([url, ids((await call('p2', 'GET', url)).body)]).not.toContainEqual(expect.arrayContaining(['d1-obs']));
    expect(ids((await call('p2', 'GET', url)).body)).not.toContain('d1-obs');
  }
});

it('a contained resource naming another patient files nothing in his record', async () => {
  // What the writer would gain: a row of p1's record shown to p2 (or p2's data under p1) by hiding the reference inside.
  const written = await call('spec', 'POST', '/Observation', observation({ contained: [{ resourceType: 'Observation', id: 'c', status: 'final', code: { text: 'y' }, subject: { reference: 'Patient/p2' } }], hasMember: [{ reference: '#c' }] }));
  expect(written.status).toBe(201);
  const id = written.body.id as string;
  expect(ids((await call('p2', 'GET', '/Observation?subject=Patient/p2&_count=100')).body)).not.toContain(id);
  expect((await call('p2', 'GET', `/Observation/${id}`)).status).toBe(404);
  expect(JSON.stringify((await call('p2', 'GET', '/Patient/p2/$everything?_count=500')).body)).not.toContain(id);
  expect((await call('patient', 'GET', `/Observation/${id}`)).status).toBe(200);
});

describe('transaction placeholders resolve to nothing hidden', () => {
  it('a conditional reference to a hidden record by INS answers as one to an unknown INS', async () => {
    const ask = (ins: string) => call('spec', 'POST', '/Observation', observation({ subject: { reference: `Patient?identifier=urn:oid:1.2.250.1.213.1.4.8|${ins}` } }));
    const unknown = withInsKey('1850275123456');
    expect(shape(await ask(P2_INS), P2_INS)).toEqual(shape(await ask(unknown), unknown));
  });

  it('a fullUrl naming an existing row neither rewrites references to it nor reaches it', async () => {
    const before = (await call('p2', 'GET', '/Observation?subject=Patient/p2&_summary=count')).body.total;
    const tx = (fullUrl: string, target: string) => call('spec', 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [
      { fullUrl, resource: observation(), request: { method: 'POST', url: 'Observation' } },
      { fullUrl: 'urn:uuid:22222222-1111-4111-8111-111111111111', resource: observation({ subject: { reference: target } }), request: { method: 'POST', url: 'Observation' } },
    ] });
    // An entry claiming to be Patient/p2 does not make a reference to Patient/p2 resolve to anything: p2 is absent.
    expect(shape(await tx('http://example.org/fhir/Patient/p2', 'Patient/p2'), 'p2')).toEqual(shape(await tx('http://example.org/fhir/Patient/zz-missing', 'Patient/zz-missing'), 'zz-missing'));
    // An entry claiming to be d2-obs: the panel's member is the new row, never the masked result.
    const masked = await call('spec', 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [
      { fullUrl: 'Observation/d2-obs', resource: observation(), request: { method: 'POST', url: 'Observation' } },
      { resource: observation({ hasMember: [{ reference: 'Observation/d2-obs' }] }), request: { method: 'POST', url: 'Observation' } },
    ] });
    expect(masked.status).toBe(200);
    const panel = masked.body.entry[1].resource;
    const members = ids((await call('spec', 'GET', `/Observation?_id=${panel.id}&_include=Observation:has-member`)).body);
    expect(members).not.toContain('d2-obs');
    expect((await call('p2', 'GET', '/Observation?subject=Patient/p2&_summary=count')).body.total).toBe(before);
  });

  it('a urn:uuid placeholder bound to a hidden Patient by PUT or If-None-Exist files nothing in that record', async () => {
    const before = (await call('p2', 'GET', '/Observation?subject=Patient/p2&_summary=count')).body.total;
    const uuid = 'urn:uuid:33333333-1111-4111-8111-111111111111';
    const put = (id: string) => call('spec', 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [
      { fullUrl: uuid, resource: { resourceType: 'Patient', id }, request: { method: 'PUT', url: `Patient/${id}` } },
      { resource: observation({ subject: { reference: uuid } }), request: { method: 'POST', url: 'Observation' } },
    ] });
    expect(shape(await put('p2'), 'p2')).toEqual(shape(await put('zz-missing'), 'zz-missing'));
    // If-None-Exist on the INS of a record hidden from him: the neutral 409 of "one record per INS", nothing filed.
    const matched = await call('spec', 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [
      { fullUrl: uuid, resource: { resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.250.1.213.1.4.8', value: P2_INS }], name: [{ family: 'X', given: ['Y'] }], gender: 'male', birthDate: '1980-01-01' }, request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=urn:oid:1.2.250.1.213.1.4.8|${P2_INS}` } },
      { resource: observation({ subject: { reference: uuid } }), request: { method: 'POST', url: 'Observation' } },
    ] });
    expect(matched.status).toBe(409);
    expect(matched.text).not.toContain('p2');
    expect((await call('p2', 'GET', '/Observation?subject=Patient/p2&_summary=count')).body.total).toBe(before);
  });
});
