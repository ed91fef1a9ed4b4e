import type { Patient, Resource } from '@medplum/fhirtypes';
import request from 'supertest';
import { markSystemContext } from '../../../src/access/access-hooks';
import { setPatientCredential } from '../../../src/auth/patient-login';
import type { RequestContext } from '../../../src/fhir/context';
import { RequestState } from '../../../src/fhir/request-state';
import { TRUE } from '../../../src/store/sql';
import { INS_NIR, loadFixture, P1_INS, P2_INS, RPPS } from './fixture';
import { createAccessApp, type AccessApp } from './harness';
import { withInsKey } from './ins-values';

// Issue 12, attacked as an attacker would in the identity area: a patient taking another's INS through every path
// (entries, PATCH forms, identifier spellings, NIA vs NIR), a parent keeping a child's record past the majority with a
// "court measure" of his own making, contacts changed without confirmation, and account enumeration through /auth/*.
// The expected answers come from the issue's rules: one record per INS, identity traits changed only by the identity
// procedure, guardians act for minors or under a court measure, contacts change only after confirmation.

let a: AccessApp;
let now = new Date('2026-12-06T12:00:00Z');
const tokens: Record<string, string> = {};
const J = 'application/fhir+json';
const ROLE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';
const PASSWORD = 'Tournesol-cerf-volant-brume-1987';
/** A 17-year-old, adult on 2027-03-01 (Europe/Paris), and her mother's link. */
const TEEN_INS = withInsKey('2090375123455');

async function seed(resource: Resource): Promise<void> {
  const ctx: RequestContext = { requestId: 'seed', access: TRUE, state: new RequestState() };
  markSystemContext(ctx);
  await a.service.repo.update(ctx, resource);
}
const send = (who: string, method: 'post' | 'put' | 'patch' | 'get', path: string, body?: unknown, type = J) =>
  request(a.app)[method](`/fhir${path}`).set('Authorization', `Bearer ${tokens[who]}`).set('Content-Type', type).send(body as object);
const mother = (extra: object = {}) => ({
  resourceType: 'RelatedPerson', patient: { reference: 'Patient/teen' }, relationship: [{ coding: [{ system: ROLE, code: 'MTH' }] }], name: [{ family: 'ROUX', given: ['Anne'] }], ...extra,
});

beforeAll(async () => {
  a = await createAccessApp({ clock: () => now, scrypt: { N: 1024, r: 8, p: 1 } });
  await loadFixture(a.service);
  await seed({ resourceType: 'Patient', id: 'teen', identifier: [{ system: INS_NIR, value: TEEN_INS }], name: [{ use: 'official', family: 'ROUX', given: ['Léa'] }], gender: 'female', birthDate: '2009-03-01', telecom: [{ system: 'email', value: 'lea.roux@example.org' }] });
  await seed({ resourceType: 'Consent', id: 'teen-open', status: 'active', scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'patient-privacy' }] }, category: [{ coding: [{ system: 'http://loinc.org', code: '59284-0' }] }], patient: { reference: 'Patient/teen' }, provision: { type: 'permit' } } as Resource);
  await seed({ ...mother({ telecom: [{ system: 'email', value: 'anne.roux@example.org' }] }), id: 'mum' } as Resource);
  await seed({ ...mother({ relationship: [{ coding: [{ system: ROLE, code: 'FTH' }] }], name: [{ family: 'ROUX', given: ['Marc'] }], telecom: [{ system: 'email', value: 'marc.roux@example.org' }] }), id: 'dad' } as Resource);
  tokens.p1 = await a.token({ kind: 'patient', id: 'p1' });
  tokens.p2 = await a.token({ kind: 'patient', id: 'p2' });
  tokens.teen = await a.token({ kind: 'patient', id: 'teen' });
  tokens.mum = await a.token({ kind: 'guardian', id: 'mum' });
  tokens.dad = await a.token({ kind: 'guardian', id: 'dad' });
  tokens.gp = await a.token({ kind: 'practitioner', id: RPPS.gp });
  tokens.pharmacist = await a.token({ kind: 'practitioner', id: '10000000077' });
  tokens.verifier = await a.token({ kind: 'practitioner', id: '10000000066', role: 'identity-verifier' });
  tokens.feeder = await a.token({ kind: 'system', id: 'lab-feeder' });
}, 120_000);
afterAll(() => a.close());

describe('a patient taking another person\'s INS', () => {
  const spellings = ['URN:OID:1.2.250.1.213.1.4.8', 'urn:OID:1.2.250.1.213.1.4.9', '1.2.250.1.213.1.4.8', 'urn:oid:1.2.250.1.213.1.4.8 '];

  test('under another spelling of the INS system, on his own record: 422 naming the system, by PUT, JSON Patch and transaction entry alike', async () => {
    const own = (await send('p2', 'get', '/Patient/p2')).body as Patient;
    for (const system of spellings) {
      const stolen = { system, value: P1_INS };
      const put = await send('p2', 'put', '/Patient/p2', { ...own, identifier: [...(own.identifier ?? []), stolen] });
      const patch = await send('p2', 'patch', '/Patient/p2', [{ op: 'add', path: '/identifier/-', value: stolen }], 'application/json-patch+json');
      const entry = await send('p2', 'post', '', { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { ...own, identifier: [...(own.identifier ?? []), stolen] }, request: { method: 'PUT', url: 'Patient/p2' } }] });
      for (const res of [put, patch, entry]) {
        expect({ system, status: res.status }).toEqual({ system, status: 422 });
        // A system with a trailing space is no uri at all: a body's shape check, which runs before any hook, may name it so
        // first (PUT, transaction entry); a patch is checked once applied, by the INS rule.
        const ins = /^The INS system is written urn:oid:1\.2\.250\.1\.213\.1\.4\.[89] \(not /;
        const expected = system.endsWith(' ') ? new RegExp(`${ins.source}|^(Bundle\\.entry\\[0\\]\\.resource: )?Invalid uri 'urn:oid:1\\.2\\.250\\.1\\.213\\.1\\.4\\.8 '$`) : ins;
        expect(res.body.issue[0].diagnostics).toMatch(expected);
      }
    }
    // Nothing was written: p2 still carries only its own INS.
    expect(((await send('p2', 'get', '/Patient/p2')).body as Patient).identifier).toEqual(own.identifier);
  });

  test('under another spelling, a second record for the same person is refused too (one record per INS), and so is a conditional reference', async () => {
    for (const system of spellings) {
      const res = await send('pharmacist', 'post', '/Patient', { resourceType: 'Patient', identifier: [{ system, value: P1_INS }], name: [{ family: 'X', given: ['Y'] }], gender: 'female', birthDate: '2015-04-02' });
      expect({ system, status: res.status }).toEqual({ system, status: 422 });
    }
    const ref = await send('feeder', 'post', '/Observation', { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: `Patient?identifier=URN:OID:1.2.250.1.213.1.4.8|${P1_INS}` } });
    expect(ref.status).toBe(422);
    expect(ref.body.issue[0].diagnostics).toMatch(/^The INS system is written urn:oid:1\.2\.250\.1\.213\.1\.4\.8/);
  });

  test('holds: the same number as an NIA on his own record is an identity change (403), and a new record with it a neutral 409', async () => {
    const own = (await send('p2', 'get', '/Patient/p2')).body as Patient;
    const nia = await send('p2', 'put', '/Patient/p2', { ...own, identifier: [...(own.identifier ?? []), { system: 'urn:oid:1.2.250.1.213.1.4.9', value: P1_INS }] });
    expect(nia.status).toBe(403);
    const swap = await send('p2', 'patch', '/Patient/p2', [{ op: 'replace', path: '/identifier/0/value', value: P1_INS }], 'application/json-patch+json');
    expect(swap.status).toBe(403);
    const second = await send('pharmacist', 'post', '/Patient', { resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.250.1.213.1.4.9', value: P1_INS }], name: [{ family: 'X', given: ['Y'] }], gender: 'female', birthDate: '2015-04-02' });
    expect(second.status).toBe(409);
    expect(second.body.issue[0].diagnostics).toMatch(/^A record already exists for this identity\b/);
    expect(JSON.stringify(second.body)).not.toContain('p1');
    // Online, a record is opened only with a token whose INS is the record's: another's INS is 403, before any look-up.
    const online = await send('p2', 'post', '/Patient', { resourceType: 'Patient', identifier: [{ system: INS_NIR, value: P1_INS }], name: [{ family: 'X', given: ['Y'] }], gender: 'female', birthDate: '2015-04-02' });
    expect(online.status).toBe(403);
    tokens.byIns = await a.token({ kind: 'patient', id: P2_INS });
    const withOwnIns = await send('byIns', 'post', '/Patient', { resourceType: 'Patient', identifier: [{ system: INS_NIR, value: P1_INS }], name: [{ family: 'X', given: ['Y'] }], gender: 'female', birthDate: '2015-04-02' });
    expect(withOwnIns.status).toBe(403);
  });
});

describe('a parent keeping his child\'s record past the majority', () => {
  const measure = { relationship: [{ coding: [{ system: ROLE, code: 'GUARD' }] }], period: { start: '2026-01-01', end: '2099-12-31' } };

  test('the mother cannot turn her link into a court measure, nor write a new one for herself: 403, and her access still ends at 18', async () => {
    const current = (await send('mum', 'get', '/RelatedPerson/mum')).body;
    const turned = await send('mum', 'put', '/RelatedPerson/mum', { ...current, ...measure });
    expect(turned.status).toBe(403);
    expect(turned.body.issue[0].diagnostics).toMatch(/^Une mesure de protection judiciaire qui vaut pour le titulaire majeur/);
    const patched = await send('mum', 'patch', '/RelatedPerson/mum', [{ op: 'replace', path: '/relationship/0/coding/0/code', value: 'GUARD' }, { op: 'add', path: '/period', value: measure.period }], 'application/json-patch+json');
    expect(patched.status).toBe(403);
    const made = await send('mum', 'post', '/RelatedPerson', mother(measure));
    expect(made.status).toBe(403);
    // The professional opening a record cannot either (the teen's record is open; a minor's opening is the same rule).
    // He sees nothing of that record: refused as if it did not exist (hidden is absent, record-existence.test.ts).
    expect((await send('gp', 'post', '/RelatedPerson', mother(measure))).status).toBe(422);
    // Her rights end with the 18th birthday (Europe/Paris).
    now = new Date('2027-02-28T22:59:59Z');
    expect((await send('mum', 'get', '/Patient/teen')).status).toBe(200);
    now = new Date('2027-02-28T23:00:00Z');
    expect((await send('mum', 'get', '/Patient/teen')).status).toBe(404);
    now = new Date('2026-12-06T12:00:00Z');
  });

  test('holds: a measure for a minor that ends by the majority, the identity procedure, and the adult holder himself', async () => {
    // A tutelle of a minor ending the day before the 18th birthday is a guardian's ordinary link.
    const untilMajority = await send('mum', 'post', '/RelatedPerson', mother({ relationship: [{ coding: [{ system: ROLE, code: 'GUARD' }] }], period: { start: '2026-01-01', end: '2027-02-28' } }));
    expect(untilMajority.status).toBe(201);
    // The judgment checked by the identity procedure.
    const verified = await send('verifier', 'post', '/RelatedPerson', mother(measure));
    expect(verified.status).toBe(201);
    // The tutor updates his own contact within the measure, or brings its end forward; widening it is refused.
    tokens.tutor = await a.token({ kind: 'guardian', id: verified.body.id });
    const link = (await send('tutor', 'get', `/RelatedPerson/${verified.body.id}`)).body;
    expect((await send('tutor', 'put', `/RelatedPerson/${verified.body.id}`, { ...link, telecom: [{ system: 'email', value: 'tuteur@example.org' }] })).status).toBe(200);
    const shorter = (await send('tutor', 'get', `/RelatedPerson/${verified.body.id}`)).body;
    expect((await send('tutor', 'put', `/RelatedPerson/${verified.body.id}`, { ...shorter, period: { start: '2026-01-01', end: '2040-12-31' } })).status).toBe(200);
    const narrowed = (await send('tutor', 'get', `/RelatedPerson/${verified.body.id}`)).body;
    const wider = await send('tutor', 'put', `/RelatedPerson/${verified.body.id}`, { ...narrowed, period: { start: '2026-01-01', end: '2041-12-31' } });
    expect(wider.status).toBe(403);
    // An adult records a measure on his own record himself.
    const own = await send('p2', 'post', '/RelatedPerson', { resourceType: 'RelatedPerson', patient: { reference: 'Patient/p2' }, ...measure, name: [{ family: 'CURATEUR' }] });
    expect(own.status).toBe(201);
  });
});

describe('contacts changed without confirmation (holds)', () => {
  test('a landline turned into a mobile, or an e-mail that starts later, is a contact change: 403', async () => {
    const own = (await send('p2', 'get', '/Patient/p2')).body as Patient;
    const landline = await send('p2', 'put', '/Patient/p2', { ...own, telecom: [{ system: 'phone', use: 'home', value: '+33145678901' }] });
    expect(landline.status).toBe(200);
    const withLandline = (await send('p2', 'get', '/Patient/p2')).body as Patient;
    expect((await send('p2', 'put', '/Patient/p2', { ...withLandline, telecom: [{ system: 'phone', use: 'mobile', value: '+33145678901' }] })).status).toBe(403);
    expect((await send('p2', 'patch', '/Patient/p2', [{ op: 'replace', path: '/telecom/0/use', value: 'mobile' }], 'application/json-patch+json')).status).toBe(403);
    expect((await send('p2', 'put', '/Patient/p2', { ...withLandline, telecom: [...(withLandline.telecom ?? []), { system: 'email', value: 'x@example.org', period: { start: '2030-01-01' } }] })).status).toBe(403);
    expect((await send('p2', 'put', '/Patient/p2', { ...withLandline, telecom: [...(withLandline.telecom ?? []), { system: 'sms', value: '0612345678' }] })).status).toBe(403);
  });
});

describe('a legal representative\'s contacts changed by someone else', () => {
  test('the other parent or the holder cannot change or remove the mother\'s e-mail (403); she can', async () => {
    const link = (await send('mum', 'get', '/RelatedPerson/mum')).body;
    const redirected = { ...link, telecom: [{ system: 'email', value: 'marc.roux@example.org' }] };
    for (const who of ['dad', 'teen']) {
      const put = await send(who, 'put', '/RelatedPerson/mum', redirected);
      expect({ who, status: put.status }).toEqual({ who, status: 403 });
      expect(put.body.issue[0].diagnostics).toMatch(/^L’adresse e-mail et le numéro de mobile d’un représentant légal reçoivent les avis du dossier/);
      const removed = await send(who, 'patch', '/RelatedPerson/mum', [{ op: 'remove', path: '/telecom' }], 'application/json-patch+json');
      expect({ who, status: removed.status }).toEqual({ who, status: 403 });
    }
    expect(((await send('mum', 'get', '/RelatedPerson/mum')).body.telecom)).toEqual([{ system: 'email', value: 'anne.roux@example.org' }]);
    // Her own change goes through; other fields of her link stay free to the record's owners.
    expect((await send('mum', 'put', '/RelatedPerson/mum', { ...link, telecom: [{ system: 'email', value: 'anne.r@example.org' }] })).status).toBe(200);
    const again = (await send('mum', 'get', '/RelatedPerson/mum')).body;
    expect((await send('dad', 'put', '/RelatedPerson/mum', { ...again, name: [{ family: 'ROUX', given: ['Anne', 'Marie'] }] })).status).toBe(200);
  });
});

describe('account enumeration through /auth/* (holds)', () => {
  test('a known and an unknown identifier or record answer byte for byte the same', async () => {
    await setPatientCredential(a.testDb.db, { login: 'lea.roux', patientId: 'teen', password: PASSWORD, now, scrypt: { N: 1024, r: 8, p: 1 } });
    const post = (path: string, body: object) => request(a.app).post(path).set('X-Forwarded-For', '192.0.2.50').send(body);
    const pairs: [string, object, object][] = [
      ['/auth/login', { identifier: 'lea.roux', password: 'faux-mot-de-passe-12' }, { identifier: 'personne.inconnue', password: 'faux-mot-de-passe-12' }],
      ['/auth/reset', { identifier: 'lea.roux' }, { identifier: 'personne.inconnue' }],
      ['/auth/reset/confirm', { identifier: 'lea.roux', code: '000000', password: PASSWORD }, { identifier: 'personne.inconnue', code: '000000', password: PASSWORD }],
      ['/auth/activate', { patient: 'teen', activation_code: 'AAAA-BBBB-CCCC', identifier: 'x.y.z', password: PASSWORD }, { patient: 'inconnu', activation_code: 'AAAA-BBBB-CCCC', identifier: 'x.y.z', password: PASSWORD }],
      ['/auth/activate', { patient_ins: TEEN_INS, activation_code: 'AAAA-BBBB-CCCC', identifier: 'x.y.z', password: PASSWORD }, { patient_ins: withInsKey('2090375123999'), activation_code: 'AAAA-BBBB-CCCC', identifier: 'x.y.z', password: PASSWORD }],
    ];
    for (const [path, known, unknown] of pairs) {
      const [k, u] = [await post(path, known), await post(path, unknown)];
      const strip = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).filter(([name]) => !['date', 'x-request-id', 'etag', 'content-length'].includes(name)));
      expect({ path, status: u.status, body: u.text, headers: strip(u.headers) }).toEqual({ path, status: k.status, body: k.text, headers: strip(k.headers) });
    }
  });
});

describe('a stranger made guardian', () => {
  test('once the holder withdrew the opening of his record, no professional records a "parent" on it any more (absent for them: 422); the holder still can', async () => {
    const opening = (await send('teen', 'get', '/Consent/teen-open')).body;
    expect((await send('teen', 'put', '/Consent/teen-open', { ...opening, status: 'inactive' })).status).toBe(200);
    const stranger = mother({ relationship: [{ coding: [{ system: ROLE, code: 'FTH' }] }], name: [{ family: 'INCONNU' }], identifier: [{ system: INS_NIR, value: withInsKey('1700175123456') }] });
    for (const who of ['pharmacist', 'gp']) {
      const res = await send(who, 'post', '/RelatedPerson', stranger);
      // A withdrawn record is seen by no professional: for each it is absent, the answer of a missing Patient.
      expect({ who, status: res.status }).toEqual({ who, status: 422 });
    }
    // Holds: the holder (and his guardians) still record a parent; a never-opened minor's record is covered by guardians.test.ts.
    expect((await send('teen', 'post', '/RelatedPerson', mother({ relationship: [{ coding: [{ system: ROLE, code: 'FTH' }] }], name: [{ family: 'ROUX', given: ['Paul'] }] }))).status).toBe(201);
  });
});

describe('codes to the wrong person', () => {
  test('a parent\'s number written as a landline on his link is still his: the child\'s code sent there is retired, and no sign-in code goes there', async () => {
    const created = await send('pharmacist', 'post', '/Patient', {
      resourceType: 'Patient', identifier: [{ system: INS_NIR, value: withInsKey('2160375123461') }], name: [{ use: 'official', family: 'BLANC', given: ['Inès'] }],
      gender: 'female', birthDate: '2016-03-10', telecom: [{ system: 'sms', value: '+33611223344' }],
    });
    expect(created.status).toBe(201);
    const childId = created.body.id as string;
    const printed = created.headers['x-activation-code'] as string;
    // The father is linked by the professional opening the record, his mobile written as a plain phone.
    const linked = await send('pharmacist', 'post', '/RelatedPerson', {
      resourceType: 'RelatedPerson', patient: { reference: `Patient/${childId}` }, relationship: [{ coding: [{ system: ROLE, code: 'FTH' }] }], name: [{ family: 'BLANC', given: ['Paul'] }],
      telecom: [{ system: 'phone', value: '06 11 22 33 44' }],
    });
    expect(linked.status).toBe(201);
    const activate = await request(a.app).post('/auth/activate').set('X-Forwarded-For', '192.0.2.60').send({ patient: childId, activation_code: printed, identifier: 'ines.blanc', password: PASSWORD });
    expect(activate.status).toBe(400);
    // Whoever set a password for her, the sign-in code does not go to her father's number.
    await setPatientCredential(a.testDb.db, { login: 'ines.blanc', patientId: childId, password: PASSWORD, now, scrypt: { N: 1024, r: 8, p: 1 } });
    const login = await request(a.app).post('/auth/login').set('X-Forwarded-For', '192.0.2.60').send({ identifier: 'ines.blanc', password: PASSWORD });
    expect(login.status).toBe(422);
    expect(login.body.issue[0].diagnostics).toMatch(/d’un représentant légal/);
  });
});
