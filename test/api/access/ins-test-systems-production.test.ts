import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Patient } from '@medplum/fhirtypes';
import { widestScopes } from '../../../src/access/scopes';
import { DEFAULT_AUDIENCE } from '../../../src/auth/auth-config';
import { loadConfig } from '../../../src/config';
import { startServer, type RunningServer } from '../../../src/server';
import { sql } from '../../../src/store/sql';
import { capturedLogger } from '../../support/captured-logger';
import { createTestDb, type TestDb } from '../../support/test-db';
import { cdaSubmission } from './cda-submission';
import { INS_NIR, loadFixture, P1_INS, RPPS } from './fixture';
import { withInsKey } from './ins-values';
import { createTestIssuers, type TestIssuers } from './test-issuers';
import { createAccessApp, type AccessApp } from './harness';
import request from 'supertest';

// Issue 11, identity leftovers: the ANS test and demo NIR (urn:oid:1.2.250.1.213.1.4.10, .11) were accepted in every
// mode, so a production server filed a test document, or opened a record with a made-up INS, as a real identity.
// Rule (README "Configuration", src/access/README.md "Identity"): under NODE_ENV=production they are refused with a 422
// OperationOutcome naming the system, by every write that brings an INS — Patient create and update, online record
// creation, $update-identity, CDA $import, MHD ITI-65 (the CDA header and the subject), a feeder's look-up inside a
// write — unless INS_TEST_OIDS=allow; the server says at start which INS systems it accepts. DEV_AUTH=1 is refused in
// production, so the tokens come from configured issuers (test-issuers.ts).

const TEST_NIR = 'urn:oid:1.2.250.1.213.1.4.10';
const DEMO_NIR = 'urn:oid:1.2.250.1.213.1.4.11';
const OWN_INS = withInsKey('1990975123456');
const OTHER_INS = withInsKey('2990975123457');

let issuers: TestIssuers;
let testDb: TestDb;
let dataDir: string;
let server: RunningServer;
const log = capturedLogger('info');

beforeAll(async () => {
  issuers = await createTestIssuers('dmp-ins-test-systems');
  dataDir = mkdtempSync(path.join(tmpdir(), 'dmp-ins-test-systems-'));
  testDb = await createTestDb();
  const env = {
    NODE_ENV: 'production',
    AUTH_ISSUERS: issuers.issuersJson({ mints: { kinds: ['practitioner', 'patient'], roles: ['identity-verifier'] } }, { mints: { kinds: ['system'], categories: ['feeder'] } }),
  };
  server = await startServer(loadConfig({}, { port: 0, host: '127.0.0.1', logLevel: 'info', dataDir }), { db: testDb.db, env, logger: log.logger });
  await loadFixture(server.service);
}, 120_000);
afterAll(async () => {
  await server?.close();
  await testDb?.drop();
  rmSync(dataDir, { recursive: true, force: true });
  issuers?.remove();
});

const practitioner = (rpps: string, extra: Record<string, unknown> = {}) => issuers.sign('psc', { dmp_kind: 'practitioner', rpps, scope: 'user/*.cruds', ...extra }, DEFAULT_AUDIENCE);
const patient = (claims: Record<string, unknown>) => issuers.sign('psc', { dmp_kind: 'patient', scope: widestScopes('patient').join(' '), ...claims }, DEFAULT_AUDIENCE);
const feeder = () => issuers.sign('feeders', { client_id: 'lab-feeder', scope: 'system/*.cruds' }, DEFAULT_AUDIENCE);

async function call(bearer: string, method: string, url: string, body?: unknown, contentType = 'application/fhir+json'): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.fhirUrl}${url}`, { method, headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': contentType }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Status, type, and whether one of its issues says that `system` is not accepted here (not "no record for this INS"). */
const namesSystem = (res: { status: number; body: any }, system: string): [number, string, boolean] =>
  [res.status, res.body?.resourceType, (res.body?.issue ?? []).some((i: any) => String(i.diagnostics).includes(`INS system ${system} (test or demonstration NIR) is not accepted`))];

const newPatient = (system: string, ins: string): Patient => ({ resourceType: 'Patient', identifier: [{ system, value: ins }], name: [{ family: 'ENLIGNE' }], gender: 'male', birthDate: '1999-09-09' });

/** The fixture lab report made p1's (birth name, birth date) under the INS OID `root`, written by `rpps`. */
let n = 0;
function p1Report(root: string, rpps: string): string {
  n += 1;
  const xml = readFileSync(path.join(__dirname, '../../../fixtures/cda/lab-report-two-results.xml'), 'utf8')
    .replace('<id root="1.2.250.1.213.1.4.10" extension="279035121518989"/>', `<id root="${root}" extension="${P1_INS}"/>`)
    .replace('<family qualifier="BR">PAT-TROIS</family>', '<family qualifier="BR">MARTIN</family>')
    .replace('<birthTime value="19790328"/>', '<birthTime value="20150402"/>')
    .replace('<id root="1.2.250.1.999.1.1.7.1"/>', `<id root="1.2.250.1.999.1.1.157.${n}"/>`)
    .split('extension="801234534765"').join(`extension="8${rpps}"`);
  if (!xml.includes(`root="${root}" extension="${P1_INS}"`) || !xml.includes(`1.2.250.1.999.1.1.157.${n}`)) throw new Error('fixture changed');
  return xml;
}
const documentsOfP1 = async (): Promise<number> => (await call(await patient({ patient: 'p1', fhirUser: 'Patient/p1' }), 'GET', '/DocumentReference?patient=Patient/p1&_summary=count')).body.total as number;

describe('under NODE_ENV=production, the test and demo INS are refused where an INS enters', () => {
  it('says at start which INS systems it accepts, and that the test and demo ones are refused', () => {
    const line = log.lines.find((l) => String(l.message).startsWith('INS systems accepted'));
    expect(line?.level).toBe('info');
    expect(line?.message).toBe(`INS systems accepted: ${INS_NIR}, urn:oid:1.2.250.1.213.1.4.9; test and demo INS refused (NODE_ENV=production without INS_TEST_OIDS=allow): ${TEST_NIR}, ${DEMO_NIR}`);
  });

  it('online record creation: a patient opening his record under the test or demo NIR gets 422 naming the system, nothing written', async () => {
    const token = await patient({ ins: OWN_INS });
    for (const system of [TEST_NIR, DEMO_NIR]) expect(namesSystem(await call(token, 'POST', '/Patient', newPatient(system, OWN_INS)), system)).toEqual([422, 'OperationOutcome', true]);
    const held = await testDb.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM resource WHERE type = 'Patient' AND content::text LIKE ${`%${OWN_INS}%`}`);
    expect(held.rows[0].n).toBe(0);
  });

  it('control: the same patient opens his record under the NIR (201)', async () => {
    expect((await call(await patient({ ins: OWN_INS }), 'POST', '/Patient', newPatient(INS_NIR, OWN_INS))).status).toBe(201);
  });

  it('a professional opening a record under the test NIR: 422 naming it', async () => {
    expect(namesSystem(await call(await practitioner(RPPS.gp), 'POST', '/Patient', newPatient(TEST_NIR, OTHER_INS)), TEST_NIR)).toEqual([422, 'OperationOutcome', true]);
  });

  it('a Patient update adding a test NIR: 422 naming it (not taken as one more identifier)', async () => {
    const token = await patient({ patient: 'p1', fhirUser: 'Patient/p1' });
    const p1 = (await call(token, 'GET', '/Patient/p1')).body as Patient;
    const changed = { ...p1, identifier: [...(p1.identifier ?? []), { system: TEST_NIR, value: P1_INS }] };
    expect(namesSystem(await call(token, 'PUT', '/Patient/p1', changed), TEST_NIR)).toEqual([422, 'OperationOutcome', true]);
  });

  it('$update-identity to a test NIR: 422 naming it', async () => {
    const body = { resourceType: 'Parameters', parameter: [{ name: 'identifier', valueIdentifier: { system: TEST_NIR, value: P1_INS } }, { name: 'reason', valueString: 'Pièce vérifiée' }] };
    const res = await call(await practitioner('10000000088', { role: 'identity-verifier' }), 'POST', '/Patient/p1/$update-identity', body);
    expect(namesSystem(res, TEST_NIR)).toEqual([422, 'OperationOutcome', true]);
  });

  it('CDA $import whose header names the patient under the test NIR: 422 naming it, nothing filed', async () => {
    const before = await documentsOfP1();
    const res = await call(await practitioner(RPPS.gp), 'POST', '/DocumentReference/$import', p1Report('1.2.250.1.213.1.4.10', RPPS.gp), 'application/hl7-cda+xml');
    expect(namesSystem(res, TEST_NIR)).toEqual([422, 'OperationOutcome', true]);
    expect(await documentsOfP1()).toBe(before);
  });

  it('control: the same report under the NIR is filed (201)', async () => {
    const res = await call(await practitioner(RPPS.gp), 'POST', '/DocumentReference/$import', p1Report('1.2.250.1.213.1.4.8', RPPS.gp), 'application/hl7-cda+xml');
    expect([res.status, res.status === 201 ? '' : JSON.stringify(res.body)]).toEqual([201, '']);
  });

  it('MHD ITI-65 by a feeder whose CDA header names the test NIR (subject by the NIR): 422 naming it, nothing filed', async () => {
    const before = await documentsOfP1();
    const res = await call(await feeder(), 'POST', '', cdaSubmission(P1_INS, p1Report('1.2.250.1.213.1.4.10', RPPS.spec), RPPS.spec));
    expect(namesSystem(res, TEST_NIR)).toEqual([422, 'OperationOutcome', true]);
    expect(await documentsOfP1()).toBe(before);
  });

  it('a feeder\'s look-up by a test NIR inside its submission (the subject, the source patient): 422 naming it', async () => {
    const bundle = JSON.parse(JSON.stringify(cdaSubmission(P1_INS, p1Report('1.2.250.1.213.1.4.8', RPPS.spec), RPPS.spec)).split(INS_NIR).join(TEST_NIR));
    expect(namesSystem(await call(await feeder(), 'POST', '', bundle), TEST_NIR)).toEqual([422, 'OperationOutcome', true]);
  });
});

describe('a qualification platform: NODE_ENV=production with INS_TEST_OIDS=allow', () => {
  let a: AccessApp;
  beforeAll(async () => {
    a = await createAccessApp({ env: { NODE_ENV: 'production', DEV_AUTH: undefined, INS_TEST_OIDS: 'allow', AUTH_ISSUERS: issuers.issuersJson({ mints: { kinds: ['practitioner', 'patient'] } }, { mints: { kinds: ['system'], categories: ['feeder'] } }) } });
  }, 120_000);
  afterAll(() => a?.close());

  it('opens a record under the test NIR (201), as the operator asked', async () => {
    const res = await request(a.app).post('/fhir/Patient').set('Authorization', `Bearer ${await patient({ ins: OTHER_INS })}`).set('Content-Type', 'application/fhir+json').send(newPatient(TEST_NIR, OTHER_INS));
    expect([res.status, res.status === 201 ? '' : JSON.stringify(res.body)]).toEqual([201, '']);
  });
});
