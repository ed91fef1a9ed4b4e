import type { MintOptions } from '../../../src/auth/mint-token';
import { byRpps, consent, RPPS } from './fixture';
import { useSweepServer, type Answer } from './sweep-4';

// Issue 11's outside check, fifth sweep, family "SMART scopes and account routes", over HTTP on the production
// composition. Expected answers come from the rules (src/access/README.md "Tokens", "Constrained scopes"; the root README
// "SMART on FHIR"): a token acts within its scopes — a read scope reads, a write letter is needed to write, a scope of
// one type reaches no other type — whatever the interaction: REST, Bundle entries, operations, the notice view. What an
// attacker gains from a gap: an app the patient allowed to read his lab results closes his record, changes his contact
// (and so where his sign-in codes go), reads his notices and trail.

const { call, raw, run, tokenWith } = useSweepServer('dmp-sweep5-scopes-');
const READ_ONLY: MintOptions = { kind: 'patient', id: 'p1', scope: 'patient/*.rs' };
const V1_READ: MintOptions = { kind: 'patient', id: 'p1', scope: 'patient/*.read' };
const LAB_APP: MintOptions = { kind: 'patient', id: 'p1', scope: 'patient/Observation.rs' };
const GUARDIAN_READ: MintOptions = { kind: 'guardian', id: 'rp1', scope: 'patient/*.rs' };
const DOCTOR_READ: MintOptions = { kind: 'practitioner', id: RPPS.spec, scope: 'user/*.rs' };
const JSON_PATCH = { 'Content-Type': 'application/json-patch+json' };
const observation = () => ({ resourceType: 'Observation', status: 'final', code: { text: 'poids' }, subject: { reference: 'Patient/p1' }, valueQuantity: { value: 30, unit: 'kg' } });
const params = (...parameter: unknown[]) => ({ resourceType: 'Parameters', parameter });
const refused = (a: Answer): boolean => a.status === 403 && a.body?.resourceType === 'OperationOutcome';

describe('a read scope writes nothing, by any interaction', () => {
  for (const who of [READ_ONLY, V1_READ, GUARDIAN_READ]) {
    it(`${who.kind} ${who.scope}: REST writes, Bundle entries and consents are refused with 403`, async () => {
      const before = (await call('patient', 'GET', '/Observation?patient=Patient/p1&_summary=count')).body.total;
      const writes: [string, string, string, unknown, Record<string, string>?][] = [
        ['create', 'POST', '/Observation', observation()],
        ['update of her allergy', 'PUT', '/AllergyIntolerance/a1', { resourceType: 'AllergyIntolerance', id: 'a1', patient: { reference: 'Patient/p1' }, code: { text: 'kiwi' } }],
        ['patch of her allergy', 'PATCH', '/AllergyIntolerance/a1', [{ op: 'replace', path: '/code/text', value: 'kiwi' }], JSON_PATCH],
        ['delete of her allergy', 'DELETE', '/AllergyIntolerance/a1', undefined],
        ['a consent lifting a mask', 'PATCH', '/Consent/c1-mask', [{ op: 'replace', path: '/status', value: 'inactive' }], JSON_PATCH],
        ['a consent authorising someone', 'POST', '/Consent', { ...consent('x', 'p1', { type: 'permit', actor: [byRpps(RPPS.other)] }), id: undefined }],
        ['a document (ITI-105)', 'POST', '/DocumentReference', { resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/p1' }, content: [{ attachment: { contentType: 'text/plain', data: 'eA==' } }] }],
      ];
      for (const [label, method, url, body, headers] of writes) {
        const res = await call(who, method, url, body, headers);
        expect([who.scope, label, res.status, refused(res)]).toEqual([who.scope, label, 403, true]);
      }
      const tx = await call(who, 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: observation(), request: { method: 'POST', url: 'Observation' } }] });
      expect([who.scope, 'transaction', tx.status]).toEqual([who.scope, 'transaction', 403]);
      const batch = await call(who, 'POST', '', { resourceType: 'Bundle', type: 'batch', entry: [{ resource: observation(), request: { method: 'POST', url: 'Observation' } }] });
      expect([who.scope, 'batch', batch.body?.entry?.[0]?.response?.status?.slice(0, 3)]).toEqual([who.scope, 'batch', '403']);
      expect((await call('patient', 'GET', '/Observation?patient=Patient/p1&_summary=count')).body.total).toBe(before);
      expect((await call('patient', 'GET', '/AllergyIntolerance/a1')).body.code.text).toBe('peanut');
      expect((await call('patient', 'GET', '/Consent/c1-mask')).body.status).toBe('active');
    });
  }

  it('a professional\'s user/*.rs token writes nothing in the record either', async () => {
    for (const [method, url, body] of [['POST', '/Observation', observation()], ['PATCH', '/DocumentReference/d1', [{ op: 'replace', path: '/status', value: 'superseded' }]]] as const) {
      const res = await call(DOCTOR_READ, method, url, body, method === 'PATCH' ? JSON_PATCH : {});
      expect([url, res.status]).toEqual([url, 403]);
    }
  });
});

describe('a read scope runs no operation that writes', () => {
  // Each is a write of the record (its Patient, its account): closing it, re-opening it, changing where its codes go.
  const OPERATIONS: [string, string, unknown][] = [
    ['$close', '/Patient/p1/$close', params({ name: 'reason', valueCode: 'patient-request' })],
    ['$change-contact', '/Patient/p1/$change-contact', params({ name: 'system', valueString: 'email' }, { name: 'value', valueString: 'app@example.org' })],
    ['$confirm-contact', '/Patient/p1/$confirm-contact', params({ name: 'code', valueString: '123456' })],
  ];
  for (const who of [READ_ONLY, V1_READ, LAB_APP, GUARDIAN_READ]) {
    it(`${who.kind} ${who.scope}: $close, $change-contact, $confirm-contact and $reactivate (of a closed record) are refused`, async () => {
      // 403; a scope that does not read the Patient at all (the lab app) finds no Patient to act on: 404.
      const expected = who === LAB_APP ? 404 : 403;
      for (const [label, url, body] of OPERATIONS) {
        const res = await call(who, 'POST', url, body);
        expect([who.scope, label, res.status]).toEqual([who.scope, label, label === '$close' ? expected : 403]);
      }
      expect((await call('patient', 'GET', '/Patient/p1')).body.active).not.toBe(false);
      const reactivate = await call({ ...who, kind: 'patient', id: 'p4' }, 'POST', '/Patient/p4/$reactivate', params());
      expect([who.scope, reactivate.status]).toEqual([who.scope, expected]);
      expect((await call({ kind: 'patient', id: 'p4' }, 'GET', '/Patient/p4')).body.active).toBe(false);
    });
  }
});

describe('a scope of one type reaches no other', () => {
  it('a lab app (patient/Observation.rs) reads no notice, no trail, no consent, no document', async () => {
    // The record has notices (a professional's first access) and a trail; the patient with all scopes reads them.
    expect((await call('spec', 'GET', '/Patient/p1')).status).toBe(200);
    expect((await call('patient', 'GET', '/Communication?patient=Patient/p1')).body.total).toBeGreaterThan(0);
    // Before: the notice view and $verify, served outside the core's search, did not look at the scopes.
    for (const url of ['/Communication?patient=Patient/p1', '/Communication', '/AuditEvent/$verify?patient=Patient/p1', '/AuditEvent/$verify']) {
      const res = await call(LAB_APP, 'GET', url);
      expect([url, res.status, refused(res)]).toEqual([url, 403, true]);
      const constrained = await call({ kind: 'patient', id: 'p1', scope: 'patient/Communication.rs?category=x patient/AuditEvent.rs?action=R' }, 'GET', url);
      expect([url, 'constrained', constrained.status]).toEqual([url, 'constrained', 403]);
    }
    const granted = await call({ kind: 'patient', id: 'p1', scope: 'patient/Communication.rs patient/AuditEvent.rs' }, 'GET', '/Communication?patient=Patient/p1');
    expect(granted.body.total).toBeGreaterThan(0);
    for (const url of ['/Communication?patient=Patient/p1', '/Communication', '/AuditEvent?patient=Patient/p1', '/AuditEvent/$verify?patient=Patient/p1', '/Consent?patient=Patient/p1', '/DocumentReference/d1', '/Binary/d1-bin', '/Patient/p1']) {
      const res = await call(LAB_APP, 'GET', url);
      const total = res.body?.resourceType === 'Bundle' ? res.body.total ?? (res.body.entry ?? []).length : undefined;
      expect([url, res.status === 403 || res.status === 404 || total === 0]).toEqual([url, true]);
    }
    const everything = await call(LAB_APP, 'GET', '/Patient/p1/$everything?_count=1000');
    const types = new Set(((everything.body?.entry ?? []) as { resource: { resourceType: string } }[]).map((e) => e.resource.resourceType));
    expect([...types].filter((t) => t !== 'Observation')).toEqual([]);
  });
});

describe('an application does not set the patient\'s password', () => {
  const setPassword = async (bearer: string, identifier: string): Promise<number> => {
    const res = await fetch(`${new URL(run.server.fhirUrl).origin}/auth/password`, {
      method: 'PUT', headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ identifier, password: 'correct horse battery staple 42', patient: 'p1' }),
    });
    return res.status;
  };
  const claims = (extra: Record<string, unknown>) => ({ dmp_kind: 'patient', patient: 'p1', ...extra });

  it('a token issued to another app (azp), or one that does not grant updating the Patient, is refused with 403', async () => {
    // Before: any patient token set the identifier and password (204), locking the patient out and ending his sessions.
    expect(await setPassword(await tokenWith(claims({ scope: 'openid fhirUser patient/Observation.rs', azp: 'lab-app' })), 'lab-app-1')).toBe(403);
    expect(await setPassword(await tokenWith(claims({ scope: 'openid fhirUser patient/*.cruds', azp: 'lab-app' })), 'lab-app-2')).toBe(403);
    expect(await setPassword(await tokenWith(claims({ scope: 'openid fhirUser patient/*.rs' })), 'read-only-1')).toBe(403);
    // The portal's token and the patient's own sign-in token (no azp, every scope) set it (the comparison can fail).
    expect(await setPassword(await tokenWith(claims({ scope: 'openid fhirUser launch/patient patient/*.cruds offline_access', azp: 'dmp-portal' })), 'jeanne-portal')).toBe(204);
    expect(await setPassword(await tokenWith(claims({ scope: 'openid fhirUser patient/*.cruds' })), 'jeanne-own')).toBe(204);
  });
});

describe('an application does not change where the patient\'s codes go', () => {
  it('$change-contact and $confirm-contact with a token issued to another app are refused with 403, whatever its scopes', async () => {
    const app = { dmp_kind: 'patient', patient: 'p1', scope: 'openid fhirUser patient/*.cruds', azp: 'lab-app' };
    // Before: the app chose the address (200), then confirmed it with the code sent there; reset and sign-in codes followed.
    const asked = await raw(await tokenWith(app), 'POST', '/Patient/p1/$change-contact', params({ name: 'system', valueString: 'email' }, { name: 'value', valueString: 'app@example.org' }));
    expect([asked.status, refused(asked)]).toEqual([403, true]);
    const confirmed = await raw(await tokenWith(app), 'POST', '/Patient/p1/$confirm-contact', params({ name: 'code', valueString: '123456' }));
    expect([confirmed.status, refused(confirmed)]).toEqual([403, true]);
    // The portal's token asks (the comparison can fail).
    const portal = await raw(await tokenWith({ ...app, azp: 'dmp-portal' }), 'POST', '/Patient/p1/$change-contact', params({ name: 'system', valueString: 'email' }, { name: 'value', valueString: 'jeanne.portail@example.org' }));
    expect(portal.status).toBe(200);
  });
});

describe('an application does not close or reactivate the record', () => {
  it('$close and $reactivate with a token issued to another app are refused with 403, whatever its scopes', async () => {
    // Closing makes the record readable by the patient alone and purges it after 10 years: the account's own procedure.
    const app = { dmp_kind: 'patient', patient: 'p1', scope: 'openid fhirUser patient/*.cruds', azp: 'lab-app' };
    const closed = await raw(await tokenWith(app), 'POST', '/Patient/p1/$close', params({ name: 'reason', valueCode: 'patient-request' }));
    expect([closed.status, closed.body?.resourceType]).toEqual([403, 'OperationOutcome']);
    expect((await call('patient', 'GET', '/Patient/p1')).body.active).not.toBe(false);
    const reactivated = await raw(await tokenWith({ ...app, patient: 'p4' }), 'POST', '/Patient/p4/$reactivate', params());
    expect(reactivated.status).toBe(403);
    expect((await call({ kind: 'patient', id: 'p4' }, 'GET', '/Patient/p4')).body.active).toBe(false);
  });
});

describe('an application does not silence the patient\'s notices', () => {
  it('turning the notices off with a token issued to another app is refused with 403; the portal\'s token may', async () => {
    const app = { dmp_kind: 'patient', patient: 'p1', scope: 'openid fhirUser patient/*.cruds', azp: 'lab-app' };
    const off = [{ op: 'add', path: '/extension', value: [{ url: 'https://dmp-fhir-adapter.org/fhir/StructureDefinition/notification-channel', valueCode: 'none' }] }];
    // Before: 200, and the patient was no longer told of first or emergency accesses to his record.
    const res = await raw(await tokenWith(app), 'PATCH', '/Patient/p1', off, { 'Content-Type': 'application/json-patch+json' });
    expect([res.status, refused(res)]).toEqual([403, true]);
    expect((await call('patient', 'GET', '/Patient/p1')).body.extension ?? []).toEqual([]);
    // Other fields of the Patient stay the app's to write (its scope allows it), and the portal's token chooses notices.
    expect((await raw(await tokenWith(app), 'PATCH', '/Patient/p1', [{ op: 'add', path: '/language', value: 'fr' }], { 'Content-Type': 'application/json-patch+json' })).status).toBe(200);
    expect((await raw(await tokenWith({ ...app, azp: 'dmp-portal' }), 'PATCH', '/Patient/p1', off, { 'Content-Type': 'application/json-patch+json' })).status).toBe(200);
  });
});

describe('the identity procedure meets the token\'s scopes', () => {
  it('an identity verifier\'s read-only token does not change a record\'s identity (403); with update it does', async () => {
    const correct = (scope: string) => call({ kind: 'practitioner', id: '10000000088', role: 'identity-verifier', scope }, 'POST', '/Patient/p2/$update-identity', params({ name: 'birthDate', valueDate: '1980-01-02' }, { name: 'reason', valueString: 'Pièce d\'identité vérifiée' }));
    // Before: 200, the birth date changed with a token granting reads only.
    const readOnly = await correct('user/*.rs');
    expect([readOnly.status, refused(readOnly)]).toEqual([403, true]);
    expect((await call('p2', 'GET', '/Patient/p2')).body.birthDate).toBe('1980-01-01');
    expect((await correct('user/*.cruds')).status).toBe(200);
    expect((await call('p2', 'GET', '/Patient/p2')).body.birthDate).toBe('1980-01-02');
  });
});

describe('the counter procedure meets the token\'s scopes', () => {
  it('an Assurance Maladie client granted care-history documents only issues no activation code (403); its counter client does', async () => {
    const issue = (scope: string) => call({ kind: 'system', id: 'cnam', category: 'assurance-maladie', scope }, 'POST', '/Patient/p2/$issue-activation', params());
    const feeder = await issue('system/DocumentReference.c system/Binary.c system/List.c');
    expect([feeder.status, refused(feeder), feeder.headers.get('x-activation-code')]).toEqual([403, true, null]);
    const counter = await issue('system/*.c');
    expect([counter.status, typeof counter.headers.get('x-activation-code')]).toEqual([200, 'string']);
  });
});
