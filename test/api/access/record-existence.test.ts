import request from 'supertest';
import { consent, INS_NIR, maskDoc, RPPS } from './fixture';
import { withInsKey } from './ins-values';
import { useFixtureApp } from './fixture-app';

// Issue 11 "hidden means absent everywhere", for creations: a write naming the Patient of a record the writer may not
// see told him that the record exists (403 "not authorised", 422 "closed" or "no open DMP", 403 "only the patient may
// re-open") while an unknown id got 422 "does not exist". A professional or patient who does not see a record now gets,
// word for word, the answer of a Patient that does not exist; one who sees it is told the real reason.
// Fixture records (fixture.ts): p1 open (gp treating, spec authorised, blocked denied), p2 open, p3 never opened,
// p4 closed (gp treating there too).

const { send, get, app } = useFixtureApp({
  unauth: { kind: 'practitioner', id: '10000000077' },
  blocked: { kind: 'practitioner', id: RPPS.blocked },
  author: { kind: 'practitioner', id: RPPS.author },
  gp: { kind: 'practitioner', id: RPPS.gp },
  spec: { kind: 'practitioner', id: RPPS.spec },
  samu: { kind: 'practitioner', id: '10000000066', role: 'samu-regulator' },
  p2: { kind: 'patient', id: 'p2' },
  feeder: { kind: 'system', id: 'lab-feeder' },
});

const MISSING = '0d6c3f0e-5f7a-4a44-9d1c-2b7a3c0e0c0d';

const condition = (patientId: string) => ({
  resourceType: 'Condition', subject: { reference: `Patient/${patientId}` }, code: { text: 'hypertension artérielle' },
});
// A mask (not the opening consent, which a professional records for a never-opened record on the patient's behalf).
const mask = (patientId: string) => ({ ...consent('ignored', patientId, { type: 'deny', data: maskDoc('d1') }), id: undefined });
const contact = (patientId: string) => ({
  resourceType: 'RelatedPerson', patient: { reference: `Patient/${patientId}` }, name: [{ family: 'Durand', given: ['Marc'] }],
  relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'FRND' }] }],
});

/** The answer with the named id taken out: what must not differ between a hidden record and a missing one. */
const comparable = (res: { status: number; body: unknown }, patientId: string) => ({
  status: res.status,
  body: JSON.stringify(res.body).split(patientId).join('<patient>'),
});

const BODIES = { Condition: condition, Consent: mask, RelatedPerson: contact } as const;

describe('a creation naming a record the writer does not see answers exactly like one naming no record', () => {
  const cases: [string, string][] = [];
  for (const who of ['unauth', 'blocked', 'author', 'p2']) for (const record of ['p1', 'p3', 'p4']) cases.push([who, record]);

  test.each(cases)('%s, record %s', async (who, record) => {
    expect((await get(who, `/fhir/Patient/${record}`)).status).toBe(404); // he does not see it
    for (const [type, body] of Object.entries(BODIES)) {
      const hidden = await send(who, 'post', `/fhir/${type}`, body(record));
      const missing = await send(who, 'post', `/fhir/${type}`, body(MISSING));
      expect(missing.status).toBe(422);
      expect(comparable(hidden, record)).toEqual(comparable(missing, MISSING));
      expect(hidden.body.issue[0].diagnostics).toBe(`A ${type} must belong to one patient's record: Patient/${record} does not exist on this server`);
    }
  });
});

describe('one who sees the record is told why he may not write there', () => {
  test('the SAMU regulator (reads, never writes): 403', async () => {
    expect((await get('samu', '/fhir/Patient/p1')).status).toBe(200);
    const res = await send('samu', 'post', '/fhir/Condition', condition('p1'));
    expect(res.status).toBe(403);
    expect(res.body.issue[0].diagnostics).not.toMatch(/does not exist/);
  });

  test('the treating physician of a closed record: 422 "closed"', async () => {
    expect((await get('gp', '/fhir/Patient/p4')).status).toBe(404); // a closed record is read by nobody but its patient…
    const closed = await send('gp', 'post', '/fhir/Condition', condition('p4'));
    // …so he too gets the answer of a missing one.
    expect(comparable(closed, 'p4')).toEqual(comparable(await send('gp', 'post', '/fhir/Condition', condition(MISSING)), MISSING));
  });

  test('the treating physician and the authorised specialist still write, and a professional\'s consent on a record he sees is refused with its reason', async () => {
    expect((await send('gp', 'post', '/fhir/Condition', condition('p1'))).status).toBe(201);
    expect((await send('spec', 'post', '/fhir/Condition', condition('p1'))).status).toBe(201);
    const res = await send('spec', 'post', '/fhir/Consent', mask('p1'));
    expect(res.status).toBe(403);
    expect(res.body.issue[0].diagnostics).toMatch(/Only the patient or a legal guardian/);
  });

  test('a feeder keeps the reason (it finds records by INS inside its writes): 403 for a free-standing row', async () => {
    const res = await send('feeder', 'post', '/fhir/Condition', condition('p3'));
    expect(res.status).toBe(403);
  });
});

describe('a record not open yet is opened only by who created it with the patient', () => {
  const opening = (patientId: string) => ({ ...consent('ignored', patientId, { type: 'permit' }), id: undefined });

  test('a professional who learnt its id may not open it: absent for him, as a missing one', async () => {
    const hidden = await send('unauth', 'post', '/fhir/Consent', opening('p3'));
    const missing = await send('unauth', 'post', '/fhir/Consent', opening(MISSING));
    expect(hidden.status).toBe(422);
    expect(comparable(hidden, 'p3')).toEqual(comparable(missing, MISSING));
  });

  test('the professional who created the Patient opens it; another one may not, before or after', async () => {
    const created = await send('gp', 'post', '/fhir/Patient', {
      resourceType: 'Patient', identifier: [{ system: INS_NIR, value: withInsKey('1750375123466') }], name: [{ family: 'Ouvrant', given: ['Paul'] }], gender: 'male', birthDate: '1975-03-03',
    });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect((await send('spec', 'post', '/fhir/Consent', opening(id))).status).toBe(422);
    expect((await send('gp', 'post', '/fhir/Consent', opening(id))).status).toBe(201);
  });
});

describe('another server\'s Patient is never this server\'s record', () => {
  // The store reads the id at the end of a reference whatever its base: `http://other.example/fhir/Patient/p1` filed the
  // row in this server's p1 — another person's results in p1's record (found by the issue 11 attack sweep).
  const foreign = 'http://other.example/fhir/Patient/p1';

  test('an absolute Patient reference is refused with 422 naming it, nothing filed', async () => {
    const total = async () => (await get('gp', '/fhir/Condition?subject=Patient/p1&_summary=count')).body.total as number;
    const before = await total();
    const res = await send('spec', 'post', '/fhir/Condition', { ...condition('p1'), subject: { reference: foreign } });
    expect(res.status).toBe(422);
    expect(res.body.issue[0].diagnostics).toBe(`Condition.subject references ${foreign}: a Patient is referenced on this server as Patient/<id> (an absolute URL may name another server's patient)`);
    expect(res.body.issue[0].expression).toEqual(['Condition.subject']);
    const binary = await send('spec', 'post', '/fhir/Binary', { resourceType: 'Binary', contentType: 'text/plain', securityContext: { reference: foreign }, data: Buffer.from('x').toString('base64') });
    expect(binary.status).toBe(422);
    const batch = await send('spec', 'post', '/fhir', { resourceType: 'Bundle', type: 'transaction', entry: [
      { fullUrl: 'urn:uuid:9a1d7f3e-1c2b-4d5e-8f60-718293a4b5c6', resource: { ...condition('p1'), subject: { reference: `${foreign}/_history/2` } }, request: { method: 'POST', url: 'Condition' } },
    ] });
    expect(batch.status).toBe(422);
    expect(await total()).toBe(before);
    // The local form is the way: filed in p1's record.
    expect((await send('spec', 'post', '/fhir/Condition', condition('p1'))).status).toBe(201);
    expect(await total()).toBe(before + 1);
  });
});

test('once the patient withdrew the opening, the professional who created the record adds nobody to it any more', async () => {
  // The parent rule already asked "was it ever opened"; the rule for other people asked "is it open now", so after a
  // withdrawal the creator could again add contacts to a record he no longer sees.
  const created = await send('gp', 'post', '/fhir/Patient', {
    resourceType: 'Patient', identifier: [{ system: INS_NIR, value: withInsKey('1620375123470') }], name: [{ family: 'Retire', given: ['Jean'] }], gender: 'male', birthDate: '1962-03-03',
  });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  const opened = await send('gp', 'post', '/fhir/Consent', { ...consent('ignored', id, { type: 'permit' }), id: undefined });
  expect(opened.status).toBe(201);
  const holder = await app().token({ kind: 'patient', id });
  const withdrawn = await request(app().app).put(`/fhir/Consent/${opened.body.id}`).set('Authorization', `Bearer ${holder}`)
    .set('Content-Type', 'application/fhir+json').send(JSON.stringify({ ...opened.body, status: 'inactive' }));
  expect(withdrawn.status).toBe(200);
  const res = await send('gp', 'post', '/fhir/RelatedPerson', contact(id));
  expect(res.status).toBe(422);
  expect(res.body.issue[0].diagnostics).toBe(`A RelatedPerson must belong to one patient's record: Patient/${id} does not exist on this server`);
});
