import request from 'supertest';
import { SignJWT } from '../../../src/auth/jose';
import { A07, byRpps, consent, P1_INS, P2_INS, RPPS } from './fixture';
import { useFixtureApp } from './fixture-app';

// Issue 11's outside check, third sweep: variants of the listed attack families not covered by the first two sweeps.
// Expected answers come from the rules (src/access/README.md), not from the server's answers.
// Fixture: p3 has never been opened (no opening consent), spec is authorised nowhere there; p1 is open, d2 masked from
// spec, d4 INVISIBLE_PATIENT, d5 INVISIBLE_REPRESENTANTS_LEGAUX (p1 is a minor, rp1 his mother).

const { app, send, get } = useFixtureApp({
  spec: { kind: 'practitioner', id: RPPS.spec },
  author: { kind: 'practitioner', id: RPPS.author },
  patient: { kind: 'patient', id: 'p1' },
  guardian: { kind: 'guardian', id: 'rp1' },
  unauth: { kind: 'practitioner', id: '10000000077' },
  am: { kind: 'system', id: 'cnam', category: 'assurance-maladie' },
  p3: { kind: 'patient', id: 'p3' },
});

const jsonPatch = (who: string, url: string, ops: unknown[]) => send(who, 'patch', url).set('Content-Type', 'application/json-patch+json').send(JSON.stringify(ops));

describe('family 7: only the patient re-opens a record he opened and withdrew, whatever the form of his opening', () => {
  it('an opening that also authorises a professional (nested provision), once withdrawn, is not re-opened by another professional', async () => {
    // The patient opens his record and authorises the specialist in one Consent: the record is open (spec reads f1).
    const opening = await send('p3', 'post', '/fhir/Consent', { ...consent('x', 'p3', { type: 'permit', provision: [{ type: 'permit', actor: [byRpps(RPPS.spec)] }] } as never), id: undefined });
    expect(opening.status).toBe(201);
    expect((await get('spec', '/fhir/DocumentReference/f1')).status).toBe(200);
    // He withdraws it: nobody but him reads the record any more.
    expect((await jsonPatch('p3', `/fhir/Consent/${opening.body.id}`, [{ op: 'replace', path: '/status', value: 'inactive' }])).status).toBe(200);
    expect((await get('spec', '/fhir/DocumentReference/f1')).status).toBe(404);
    // A professional, or the Assurance Maladie, recording a bare opening now would re-open it against his will.
    const bare = { ...consent('x', 'p3', { type: 'permit' }), id: undefined };
    // The professionals no longer see the record: it is absent for them (422, as a missing one); the Assurance Maladie,
    // which finds records by INS, is told why (403: it did not create this record with the patient).
    for (const [who, status, reason] of [['unauth', 422, /does not exist on this server/], ['spec', 422, /does not exist on this server/], ['am', 403, /Only the patient or a legal guardian/]] as const) {
      const res = await send(who, 'post', '/fhir/Consent', bare);
      expect([who, res.status]).toEqual([who, status]);
      expect(res.body.issue[0].diagnostics).toMatch(reason);
    }
    expect((await get('spec', '/fhir/DocumentReference/f1')).status).toBe(404);
    // The patient himself may.
    expect((await send('p3', 'post', '/fhir/Consent', bare)).status).toBe(201);
    expect((await get('spec', '/fhir/DocumentReference/f1')).status).toBe(404);
  });
});

describe('family 8: a Consent naming a document hidden from its reader is hidden with it', () => {
  const mask = (...docs: string[]) => ({ ...consent('x', 'p1', { type: 'deny', data: docs.map((d) => ({ meaning: 'instance', reference: { reference: `DocumentReference/${d}` } })) } as never), id: undefined });
  const ids = (body: { entry?: { resource?: { id?: string } }[] }): string[] => (body.entry ?? []).map((e) => e.resource?.id ?? '');
  const sameAsMissing = async (who: string, url: (id: string) => string, hidden: string, method: 'get' | 'patch' = 'get') => {
    const call = (id: string) => (method === 'get' ? get(who, url(id)) : jsonPatch(who, url(id), [{ op: 'replace', path: '/status', value: 'inactive' }]));
    const [h, m] = [await call(hidden), await call('zz-missing')];
    expect([h.status, JSON.stringify(h.body).split(hidden).join('<id>')]).toEqual([m.status, JSON.stringify(m.body).split('zz-missing').join('<id>')]);
  };

  it('the minor masks his confidential document (INVISIBLE_REPRESENTANTS_LEGAUX): his parent neither sees the mask nor lifts it', async () => {
    const created = await send('patient', 'post', '/fhir/Consent', mask('d5'));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect((await get('patient', `/fhir/Consent/${id}`)).status).toBe(200);
    // Before: the guardian read the Consent (and so d5's id), found it by `data`, in $everything and _history, and
    // withdrew it, which gave d5 back to every authorised professional.
    await sameAsMissing('guardian', (x) => `/fhir/Consent/${x}`, id);
    expect(ids((await get('guardian', '/fhir/Consent?patient=Patient/p1&_count=100')).body)).not.toContain(id);
    expect((await get('guardian', '/fhir/Consent?data=DocumentReference/d5&_summary=count')).body.total).toBe(0);
    expect(JSON.stringify((await get('guardian', '/fhir/Patient/p1/$everything?_count=500')).body)).not.toContain(id);
    expect(JSON.stringify((await get('guardian', '/fhir/_history?_count=500')).body)).not.toContain(id);
    await sameAsMissing('guardian', (x) => `/fhir/Consent/${x}`, id, 'patch');
    expect((await get('spec', '/fhir/DocumentReference/d5')).status).toBe(404);
    expect((await get('patient', `/fhir/Consent/${id}`)).body.status).toBe('active');
  });

  it('a Consent masking several documents is hidden from whoever one of them is hidden from', async () => {
    const created = await send('patient', 'post', '/fhir/Consent', mask('d1', 'd5'));
    expect(created.status).toBe(201);
    await sameAsMissing('guardian', (x) => `/fhir/Consent/${x}`, created.body.id);
    expect((await get('patient', `/fhir/Consent/${created.body.id}`)).status).toBe(200);
  });

  it('a Consent masking several documents follows their labels when one changes later', async () => {
    const created = await send('patient', 'post', '/fhir/Consent', mask('d1', 'd3'));
    expect(created.status).toBe(201);
    expect((await get('patient', `/fhir/Consent/${created.body.id}`)).status).toBe(200);
    // The author of d1, authorised in the record, hides it from the patient (pending its announcement): the mask
    // naming it goes with it.
    expect((await send('patient', 'post', '/fhir/Consent', { ...consent('x', 'p1', { type: 'permit', actor: [byRpps(RPPS.author)] }), id: undefined })).status).toBe(201);
    const label = { coding: [{ system: A07, code: 'INVISIBLE_PATIENT' }] };
    expect((await jsonPatch('author', '/fhir/DocumentReference/d1', [{ op: 'add', path: '/securityLabel/-', value: label }])).status).toBe(200);
    await sameAsMissing('patient', (x) => `/fhir/Consent/${x}`, created.body.id);
    const labels = (await get('author', '/fhir/DocumentReference/d1')).body.securityLabel as unknown[];
    expect((await jsonPatch('author', '/fhir/DocumentReference/d1', [{ op: 'remove', path: `/securityLabel/${labels.length - 1}` }])).status).toBe(200);
    expect((await get('patient', `/fhir/Consent/${created.body.id}`)).status).toBe(200);
  });

  it('a mask the guardian writes on a document hidden from the patient (INVISIBLE_PATIENT) does not show it to the patient', async () => {
    const created = await send('guardian', 'post', '/fhir/Consent', mask('d4'));
    expect(created.status).toBe(201);
    await sameAsMissing('patient', (x) => `/fhir/Consent/${x}`, created.body.id);
    expect((await get('patient', '/fhir/Consent?data=DocumentReference/d4&_summary=count')).body.total).toBe(0);
  });

  it('masks of documents the reader sees stay his to read and withdraw', async () => {
    expect((await get('guardian', '/fhir/Consent/c1-mask')).status).toBe(200);
    const created = await send('guardian', 'post', '/fhir/Consent', mask('d1'));
    expect(created.status).toBe(201);
    expect((await get('patient', `/fhir/Consent/${created.body.id}`)).status).toBe(200);
    expect((await jsonPatch('patient', `/fhir/Consent/${created.body.id}`, [{ op: 'replace', path: '/status', value: 'inactive' }])).status).toBe(200);
  });
});

describe('family 10: tokens with odd claims', () => {
  /** A development token with exactly these claims (the key the app trusts). */
  const tokenWith = async (claims: Record<string, unknown>): Promise<string> => {
    const { auth, devKey } = app();
    return new SignJWT({ scope: 'patient/*.cruds', ...claims }).setProtectedHeader({ alg: 'ES256', kid: devKey.kid, typ: 'JWT' })
      .setIssuer(auth.devIssuer).setAudience(auth.audience).setSubject('patient:p1').setIssuedAt().setExpirationTime('300s').sign(devKey.privateKey);
  };
  const read = async (token: string, url: string) => (await request(app().app).get(url).set('Authorization', `Bearer ${token}`)).status;

  it('a patient token naming one record and the INS of another is refused, not given both records', async () => {
    const mixed = await tokenWith({ dmp_kind: 'patient', patient: 'p1', ins: P2_INS });
    expect(await read(mixed, '/fhir/DocumentReference/e1')).toBe(401);
    expect(await read(mixed, '/fhir/DocumentReference/d1')).toBe(401);
    // The same claims naming one person still work.
    const consistent = await tokenWith({ dmp_kind: 'patient', patient: 'p1', ins: P1_INS });
    expect(await read(consistent, '/fhir/DocumentReference/d1')).toBe(200);
    expect(await read(consistent, '/fhir/DocumentReference/e1')).toBe(404);
  });
});
