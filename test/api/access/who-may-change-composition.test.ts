import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadAuthConfig } from '../../../src/auth/auth-config';
import { loadDevKey } from '../../../src/auth/dev-key';
import { mintDevToken, type MintOptions } from '../../../src/auth/mint-token';
import { loadConfig } from '../../../src/config';
import { startServer, type RunningServer } from '../../../src/server';
import { createTestDb, type TestDb } from '../../support/test-db';
import { A07, byRpps, consent, IDNAT, INS_NIR, loadFixture, P1_INS, RPPS } from './fixture';

// Issue 11 with the production composition (access, audit, documents): feeders' submissions still create their
// authors' directory entries (found again by national identifier, never duplicated), a replacement is for the
// feeder that submitted the document, and the DMP metadata PATCH (TD3.3) is for the document's author.

let server: RunningServer;
let testDb: TestDb;
let dataDir: string;
const NEW_AUTHOR = '10000000012';

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'dmp-provenance-'));
  testDb = await createTestDb();
  server = await startServer(loadConfig({}, { port: 0, host: '127.0.0.1', logLevel: 'silent', dataDir }), { db: testDb.db, env: { DEV_AUTH: '1' } });
  await loadFixture(server.service);
  const permit = await call({ kind: 'patient', id: 'p1' }, 'POST', '/Consent', { ...consent('x', 'p1', { type: 'permit', actor: [byRpps(NEW_AUTHOR)] }), id: undefined });
  if (permit.status !== 201) throw new Error(`consent: ${permit.status}`);
}, 120_000);
afterAll(async () => {
  await server.close();
  await testDb.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function call(who: MintOptions, method: string, url: string, body?: unknown, contentType = 'application/fhir+json') {
  const auth = loadAuthConfig({ DEV_AUTH: '1' }, dataDir);
  const token = await mintDevToken(auth, await loadDevKey(auth), who);
  const res = await fetch(`${server.fhirUrl}${url}`, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': contentType }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const FEEDER: MintOptions = { kind: 'system', id: 'lab-feeder' };
const author = { resourceType: 'Practitioner', identifier: [{ system: IDNAT, value: `8${NEW_AUTHOR}` }], name: [{ family: 'Biologiste' }] };

/** An ITI-65 submission by a feeder: the author as a conditional create, the document, its Binary. */
function submission(text: string, replaces?: string) {
  const uuid = (n: number) => `urn:uuid:5d1c1f4e-0000-4000-8000-00000000000${n}`;
  return {
    resourceType: 'Bundle', type: 'transaction',
    entry: [
      { fullUrl: uuid(1), resource: author, request: { method: 'POST', url: 'Practitioner', ifNoneExist: `identifier=${IDNAT}|8${NEW_AUTHOR}` } },
      { fullUrl: uuid(2), resource: { resourceType: 'Binary', contentType: 'text/plain', data: Buffer.from(text).toString('base64') }, request: { method: 'POST', url: 'Binary' } },
      {
        fullUrl: uuid(3),
        resource: {
          resourceType: 'DocumentReference', status: 'current',
          type: { coding: [{ system: 'http://loinc.org', code: '11502-2' }] },
          subject: { reference: `Patient?identifier=${INS_NIR}|${P1_INS}` },
          author: [{ reference: uuid(1) }],
          content: [{ attachment: { contentType: 'text/plain', url: uuid(2) } }],
          ...(replaces ? { relatesTo: [{ code: 'replaces', target: { reference: `DocumentReference/${replaces}` } }] } : {}),
        },
        request: { method: 'POST', url: 'DocumentReference' },
      },
    ],
  };
}
const locationOf = (body: { entry: { response: { location: string } }[] }, type: string): string =>
  /^(?:.*\/)?([A-Za-z]+\/[^/]+)/.exec(body.entry.map((e) => e.response.location).find((l) => l.includes(`${type}/`)) ?? '')![1];

let firstDoc = '';
test('a feeder\'s submissions create the author\'s directory entry once, found again by national identifier', async () => {
  const first = await call(FEEDER, 'POST', '', submission('glycémie 5,1 mmol/L'));
  expect(first.status).toBe(200);
  expect(first.body.entry[0].response.status).toMatch(/^201/);
  const practitioner = locationOf(first.body, 'Practitioner');
  firstDoc = locationOf(first.body, 'DocumentReference').split('/')[1];
  const second = await call(FEEDER, 'POST', '', submission('glycémie 5,3 mmol/L'));
  expect(second.status).toBe(200);
  expect(second.body.entry[0].response.status).toMatch(/^200/);
  expect(locationOf(second.body, 'Practitioner')).toBe(practitioner);
  const found = await call({ kind: 'practitioner', id: RPPS.spec }, 'GET', `/Practitioner?identifier=${IDNAT}|8${NEW_AUTHOR}`);
  expect(found.body.total).toBe(1);
  // The entry names its author alone: he reads the document he wrote.
  expect((await call({ kind: 'practitioner', id: NEW_AUTHOR }, 'GET', `/DocumentReference/${firstDoc}`)).status).toBe(200);
});

test('another feeder cannot replace a feeder\'s document; the feeder that submitted it can, and the old one is superseded', async () => {
  // Feeders read nothing: another feeder's document is absent for him (422, as for a missing one).
  expect((await call({ kind: 'system', id: 'other-feeder' }, 'POST', '', submission('glycémie 9,9 mmol/L', firstDoc))).status).toBe(422);
  const patient: MintOptions = { kind: 'patient', id: 'p1' };
  expect((await call(patient, 'GET', `/DocumentReference/${firstDoc}`)).body.status).toBe('current');
  expect((await call(FEEDER, 'POST', '', submission('glycémie 5,2 mmol/L (corrigée)', firstDoc))).status).toBe(200);
  expect((await call(patient, 'GET', `/DocumentReference/${firstDoc}`)).body.status).toBe('superseded');
});

test('the metadata PATCH (TD3.3) of another\'s document is refused to an authorised professional and allowed to its author', async () => {
  const hide = [{ op: 'add', path: '/securityLabel/-', value: { coding: [{ system: A07, code: 'INVISIBLE_PATIENT' }] } }];
  const bySpec = await call({ kind: 'practitioner', id: RPPS.spec }, 'PATCH', `/DocumentReference/${firstDoc}`, hide, 'application/json-patch+json');
  expect(bySpec.status).toBe(403);
  expect(bySpec.body.issue[0].diagnostics).toMatch(/may change its status or security labels/);
  const byAuthor = await call({ kind: 'practitioner', id: NEW_AUTHOR }, 'PATCH', `/DocumentReference/${firstDoc}`, hide, 'application/json-patch+json');
  expect(byAuthor.status).toBe(200);
  expect((await call({ kind: 'patient', id: 'p1' }, 'GET', `/DocumentReference/${firstDoc}`)).status).toBe(404);
});

test('replacing a document one may not see answers exactly like replacing a missing one (hidden is absent)', async () => {
  const spec: MintOptions = { kind: 'practitioner', id: RPPS.spec };
  const replacing = (target: string) => call(spec, 'POST', '/DocumentReference', {
    resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/p1' },
    type: { coding: [{ system: 'http://loinc.org', code: '11488-4' }] },
    author: [{ identifier: { system: IDNAT, value: `8${RPPS.spec}` } }],
    content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('compte rendu').toString('base64') } }],
    relatesTo: [{ code: 'replaces', target: { reference: `DocumentReference/${target}` } }],
  });
  const hidden = await replacing('d2'); // masked by the patient's consent: spec reads 404
  const missing = await replacing('zz-never-existed');
  expect(hidden.status).toBe(422);
  expect(missing.status).toBe(422);
  expect(hidden.body.issue[0].diagnostics).toBe(missing.body.issue[0].diagnostics.replace('zz-never-existed', 'd2'));
});
