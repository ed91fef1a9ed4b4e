import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { AuditEvent, Bundle, BundleEntry, DocumentReference } from '@medplum/fhirtypes';
import { sql } from '../../../src/store/sql';
import { startAuditServer, type AuditServer } from '../audit/server-harness';
import { A07, loadFixture, P1_INS, RPPS } from './fixture';

// Issue 11, attack 8: a document hidden from someone appears nowhere for him — not in a "new document" notice, not
// in the trail he reads, not through its SubmissionSet List, not in $everything. The production composition (access,
// audit, notifications, documents) on the access fixture, documents submitted by a lab through ITI-65.

let s: AuditServer;
const tokens: Record<string, string> = {};
interface Submitted { list: string; doc: string; binary: string }
const submitted: Record<string, Submitted> = {};

const ITI65 = readFileSync(path.join(__dirname, '../../../fixtures/pdsm/iti65-submission.json'), 'utf8');
const refOf = (location: string) => location.split('/_history/')[0].split('/').slice(-2).join('/');

/** The shared ITI-65 example, for p1 by the specialist p1 authorised, its DocumentReference flagged `flag` (TRE_A07) when given. */
async function submit(name: string, flag?: string): Promise<Submitted> {
  const bundle = JSON.parse(ITI65.split('180057512345627').join(P1_INS).split('810001234567').join(`8${RPPS.spec}`)) as Bundle;
  const doc = (bundle.entry as BundleEntry[])[1].resource as DocumentReference;
  if (doc.masterIdentifier) doc.masterIdentifier = { ...doc.masterIdentifier, value: `${doc.masterIdentifier.value}.${name}` };
  if (flag) doc.securityLabel = [...(doc.securityLabel ?? []), { coding: [{ system: A07, code: flag }] }];
  const res = await s.fhir(tokens.feeder, 'POST', '', bundle);
  expect([name, res.status, res.status === 200 ? '' : JSON.stringify(res.body)]).toEqual([name, 200, '']);
  const [list, docRef, binary] = res.body.entry.map((e: { response: { location: string } }) => refOf(e.response.location));
  return { list, doc: docRef, binary };
}

const ids = (body: Bundle): string[] => (body.entry ?? []).map((e) => `${e.resource?.resourceType}/${e.resource?.id}`);
const named = (events: AuditEvent[], reference: string) => events.filter((e) => (e.entity ?? []).some((x) => x.what?.reference?.startsWith(`${reference}/`) || x.what?.reference === reference));
async function trail(who: string): Promise<{ events: AuditEvent[]; total: number }> {
  const res = await s.fhir(tokens[who], 'GET', '/AuditEvent?patient=p1&_count=1000');
  expect(res.status).toBe(200);
  return { events: (res.body.entry ?? []).map((e: BundleEntry) => e.resource as AuditEvent), total: res.body.total };
}

beforeAll(async () => {
  s = await startAuditServer();
  await loadFixture(s.server.service);
  tokens.patient = await s.token({ kind: 'patient', id: 'p1' });
  tokens.guardian = await s.token({ kind: 'guardian', id: 'rp1' });
  tokens.gp = await s.token({ kind: 'practitioner', id: RPPS.gp });
  tokens.btg = await s.token({ kind: 'practitioner', id: '10000000055', purpose: 'BTG', reason: 'coma' });
  tokens.feeder = await s.token({ kind: 'system', id: 'lab-feeder' });
  submitted.open = await submit('open');
  submitted.invisiblePatient = await submit('invisible-patient', 'INVISIBLE_PATIENT');
  submitted.invisibleGuardians = await submit('invisible-guardians', 'INVISIBLE_REPRESENTANTS_LEGAUX');
  submitted.masked = await submit('masked', 'MASQUE_PS');
  // The treating physician reads every document and its Binary, and lists them: the trail names them all.
  for (const sub of Object.values(submitted)) {
    expect((await s.fhir(tokens.gp, 'GET', `/${sub.doc}`)).status).toBe(200);
    expect((await s.fhir(tokens.gp, 'GET', `/${sub.binary}?_format=json`)).status).toBe(200);
  }
  expect((await s.fhir(tokens.gp, 'GET', '/DocumentReference?_id=d4')).body.total).toBe(1);
}, 120_000);
afterAll(() => s?.close());

const docId = (sub: Submitted) => sub.doc.split('/')[1];

async function documentNotices(): Promise<string[]> {
  const { rows } = await s.testDb.db.query<{ key: string }>(sql`SELECT idempotency_key AS key FROM notify_outbox WHERE kind = 'document-added'`);
  return rows.map((r) => r.key.split(':')[1]);
}

test('a document hidden from the patient sends him no "new document" notice (attack 8)', async () => {
  const notices = await documentNotices();
  expect(notices).toContain(docId(submitted.open));
  expect(notices).toContain('d1');
  expect(notices).not.toContain(docId(submitted.invisiblePatient));
  expect(notices).not.toContain('d4');
});

test('a document hidden from the guardians of a minor sends no notice to the record\'s contacts (attack 8)', async () => {
  const notices = await documentNotices();
  expect(notices).not.toContain(docId(submitted.invisibleGuardians));
  expect(notices).not.toContain('d5');
  const communications = await s.fhir(tokens.guardian, 'GET', '/Communication?patient=p1');
  expect(communications.status).toBe(200);
  const keys = JSON.stringify(communications.body);
  expect(keys).toContain(`document-added:${docId(submitted.open)}:`);
  for (const hidden of [docId(submitted.invisibleGuardians), 'd5']) expect(keys).not.toContain(`document-added:${hidden}:`);
});

test('the patient\'s trail shows nothing of a document hidden from him, and counts right (attack 8)', async () => {
  const { events, total } = await trail('patient');
  expect(total).toBe(events.length);
  expect(named(events, submitted.open.doc).length).toBeGreaterThan(0); // the comparison can fail
  expect(named(events, submitted.invisibleGuardians.doc).length).toBeGreaterThan(0); // hidden from guardians only
  for (const hidden of [submitted.invisiblePatient.doc, submitted.invisiblePatient.binary, submitted.invisiblePatient.list, 'DocumentReference/d4', 'Binary/d4-bin']) {
    expect([hidden, named(events, hidden).length]).toEqual([hidden, 0]);
  }
  // The count comes after that search, which the trail records too.
  const count = await s.fhir(tokens.patient, 'GET', '/AuditEvent?patient=p1&_summary=count');
  expect(count.body.total).toBe(total + 1);
});

test('an event naming a hidden document cannot be read by id by the one it is hidden from (attack 8)', async () => {
  const { events } = await trail('guardian');
  const patientEvents = (await trail('patient')).events;
  const hiddenFromGuardian = named(patientEvents, submitted.invisibleGuardians.doc)[0];
  expect(hiddenFromGuardian).toBeDefined();
  expect(events.map((e) => e.id)).not.toContain(hiddenFromGuardian.id);
  const [asGuardian, missing] = await Promise.all([
    s.fhir(tokens.guardian, 'GET', `/AuditEvent/${hiddenFromGuardian.id}`),
    s.fhir(tokens.guardian, 'GET', '/AuditEvent/zz-never-existed'),
  ]);
  expect([asGuardian.status, missing.status]).toEqual([404, 404]);
  expect((await s.fhir(tokens.patient, 'GET', `/AuditEvent/${hiddenFromGuardian.id}`)).status).toBe(200);
});

test('the guardian\'s trail shows nothing of a document hidden from guardians (attack 8)', async () => {
  const { events, total } = await trail('guardian');
  expect(total).toBe(events.length);
  expect(named(events, submitted.open.doc).length).toBeGreaterThan(0);
  for (const hidden of [submitted.invisibleGuardians.doc, submitted.invisibleGuardians.binary, submitted.invisiblePatient.doc, 'DocumentReference/d5', 'DocumentReference/d4']) {
    expect([hidden, named(events, hidden).length]).toEqual([hidden, 0]);
  }
});

test('the SubmissionSet List of a document is governed like the document (attack 8)', async () => {
  const lists = async (who: string) => ids((await s.fhir(tokens[who], 'GET', '/List?patient=p1&_count=100')).body);
  expect(await lists('patient')).toEqual(expect.arrayContaining([submitted.open.list, submitted.invisibleGuardians.list, submitted.masked.list]));
  expect(await lists('patient')).not.toContain(submitted.invisiblePatient.list);
  expect(await lists('guardian')).not.toContain(submitted.invisibleGuardians.list);
  expect(await lists('guardian')).not.toContain(submitted.invisiblePatient.list);
  expect(await lists('btg')).toContain(submitted.open.list);
  expect(await lists('btg')).not.toContain(submitted.masked.list);
  expect(await lists('gp')).toContain(submitted.masked.list);
  const [hidden, missing] = await Promise.all([s.fhir(tokens.btg, 'GET', `/${submitted.masked.list}`), s.fhir(tokens.btg, 'GET', '/List/zz-never-existed')]);
  expect([hidden.status, missing.status]).toEqual([404, 404]);
});

test('$everything shows the patient neither a document hidden from him nor its List, and counts right (attack 8)', async () => {
  const res = await s.fhir(tokens.patient, 'GET', '/Patient/p1/$everything?_count=1000');
  expect(res.status).toBe(200);
  const shown = ids(res.body);
  expect(res.body.total).toBe(shown.length);
  expect(shown).toEqual(expect.arrayContaining([submitted.open.doc, submitted.open.list, submitted.open.binary]));
  for (const hidden of Object.values(submitted.invisiblePatient)) expect(shown).not.toContain(hidden);
  expect(shown).not.toContain('DocumentReference/d4');
  const withTrail = shown.filter((r) => r.startsWith('AuditEvent/'));
  expect(withTrail.length).toBeGreaterThan(0);
});

test('a List of several documents is hidden from whoever one of them is hidden from, and follows their labels', async () => {
  const repo = s.server.service.repo;
  const ctx = s.systemContext();
  const list = { resourceType: 'List', id: 'ss-multi', status: 'current', mode: 'working', subject: { reference: 'Patient/p1' }, entry: [{ item: { reference: 'DocumentReference/d1' } }, { item: { reference: 'DocumentReference/d9' } }] } as const;
  const d9 = (flags: string[]): DocumentReference => ({
    resourceType: 'DocumentReference', id: 'd9', status: 'current', subject: { reference: 'Patient/p1' }, content: [{ attachment: { contentType: 'text/plain' } }],
    securityLabel: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N' }] }, ...flags.map((code) => ({ coding: [{ system: A07, code }] }))],
  });
  // The List first, as in an MHD bundle, then the document it lists.
  await repo.update(ctx, list as never);
  await repo.update(ctx, d9(['INVISIBLE_PATIENT']));
  const read = (who: string) => s.fhir(tokens[who], 'GET', '/List/ss-multi');
  expect((await read('patient')).status).toBe(404);
  expect((await read('gp')).status).toBe(200);
  await repo.update(ctx, d9([]));
  expect((await read('patient')).status).toBe(200);
  await repo.update(ctx, d9(['MASQUE_PS']));
  expect((await read('patient')).status).toBe(200);
  expect((await read('btg')).status).toBe(404);
});

test('migrations 143 and 170 give the events written before them the documents they name', async () => {
  const db = s.testDb.db;
  const migration = (file: string) => readFileSync(path.join(__dirname, '../../../src/store/migrations', file), 'utf8');
  const d4Events = async () => named((await trail('patient')).events, 'DocumentReference/d4').length;
  // A trail written before migration 143: its events name no document anywhere but in their text.
  await db.query(sql`ALTER TABLE resource DISABLE TRIGGER resource_audit_append_only`);
  await db.query(sql`UPDATE resource SET named_documents = NULL WHERE type = 'AuditEvent'`);
  await db.query(sql`ALTER TABLE resource ENABLE TRIGGER resource_audit_append_only`);
  // What a trail written before the change showed: the events naming d4 (now served without d4's resources, attack
  // sweep 12b's hidden-entities.ts, but served, so telling that an access happened).
  expect(await d4Events()).toBe(0);
  const shown = (await trail('patient')).events.length;
  // 143 wrote one index row per document named; 170 moves them into the event's row and drops them.
  await db.query(migration('143_trail_events_name_their_documents.sql'));
  await db.query(migration('170_trail_events_list_their_documents.sql'));
  expect(await d4Events()).toBe(0);
  // The events naming d4 alone are absent again (the two trail reads since \`shown\` added two events of her own).
  expect((await trail('patient')).events.length).toBeLessThan(shown + 2);
  expect(named((await trail('patient')).events, submitted.open.doc).length).toBeGreaterThan(0);
  const left = await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM idx_reference WHERE type = 'AuditEvent' AND param = 'entity-document'`);
  expect(left.rows[0].n).toBe(0);
});

test('a notice sent before its document was hidden from the guardians no longer shows in their Communications', async () => {
  const keys = async (who: string) => JSON.stringify((await s.fhir(tokens[who], 'GET', '/Communication?patient=p1&_count=200')).body);
  const notice = `document-added:${docId(submitted.open)}:`;
  expect(await keys('guardian')).toContain(notice);
  const ctx = s.systemContext();
  const current = await s.server.service.repo.read(ctx, 'DocumentReference', docId(submitted.open));
  const doc = JSON.parse(current.text as string) as DocumentReference;
  await s.server.service.repo.update(ctx, { ...doc, securityLabel: [...(doc.securityLabel ?? []), { coding: [{ system: A07, code: 'INVISIBLE_REPRESENTANTS_LEGAUX' }] }] });
  const [guardian, patient] = await Promise.all([keys('guardian'), keys('patient')]);
  expect(guardian).not.toContain(notice);
  expect(patient).toContain(notice);
  const totals = JSON.parse(guardian) as Bundle;
  expect(totals.total).toBe(totals.entry?.length ?? 0);
});
