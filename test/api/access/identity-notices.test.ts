import type { Bundle, Patient, Resource } from '@medplum/fhirtypes';
import request from 'supertest';
import { markSystemContext } from '../../../src/access/access-hooks';
import { main as majorityCli } from '../../../src/cli/majority-handover';
import type { RequestContext } from '../../../src/fhir/context';
import { RequestState } from '../../../src/fhir/request-state';
import { loadNotifyConfig } from '../../../src/notify/notify-config';
import { purgeRecords } from '../../../src/records/purge-job';
import { SystemRepository } from '../../../src/system/system-repository';
import { shiftDate } from '../../../src/records/record-closure';
import { sql, TRUE } from '../../../src/store/sql';
import { createRecordsApp, type RecordsApp } from '../records/harness';
import { consent, INS_NIR } from './fixture';
import { withInsKey } from './ins-values';

// Issue 12, "a notice for each identity event": record created (online, by a pharmacist or professional, by the
// Assurance Maladie, by a parent for a minor), credentials sent, contact changed, INS corrected, guardian access ended,
// record closed, reactivated, purge approaching. Each is walked here through its channel, on one injected clock, and its
// notice checked: French, the instant in Europe/Paris, the right recipient (the guardians for a minor), no health data.

let a: RecordsApp;
const RECORD_URL = 'https://www.monespacesante.fr';
/** The portal page the notices link to: the server's configuration (`NOTIFY_RECORD_URL`'s default here). */
const portal = () => loadNotifyConfig(a.env).recordUrl;
const ROLE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';
const INS = {
  claire: withInsKey('2900175123401'), marc: withInsKey('1850275123402'), sophie: withInsKey('2700375123403'),
  leo: withInsKey('1150475123404'), dad: withInsKey('1800175123405'), lina: withInsKey('2160375123406'), lou: withInsKey('2081275123407'),
  marcNew: withInsKey('1850275123408'),
};
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};

interface Row { kind: string; recipient: string | null; subject: string; body: string; status: string }
async function noticesOf(patientId: string, kind: string): Promise<Row[]> {
  return (await a.db.query<Row>(sql`SELECT kind, recipient, subject, body, status FROM notify_outbox WHERE patient_id = ${patientId} AND kind = ${kind} ORDER BY recipient NULLS LAST`)).rows;
}
/** A notice carries no health data, and no identity either: no INS, no birth date. */
function expectNoHealthData(row: Row, birthDate?: string): void {
  expect(row.body).not.toMatch(/\b\d{13,15}\b/);
  if (birthDate) expect(row.body).not.toContain(birthDate);
  expect(row.body).not.toMatch(/diagnostic|traitement|résultat|Observation|Condition|DocumentReference/i);
}
const person = (ins: string, family: string, given: string, gender: 'male' | 'female', birthDate: string, email?: string): Patient => ({
  resourceType: 'Patient', identifier: [{ system: INS_NIR, value: ins }], name: [{ use: 'official', family, given: [given] }], gender, birthDate,
  ...(email ? { telecom: [{ system: 'email', value: email }] } : {}),
});
const post = (token: string, url: string, body: unknown) =>
  request(a.app).post(`/fhir/${url}`).set('Authorization', `Bearer ${token}`).set('Content-Type', 'application/fhir+json').send(JSON.stringify(body));
const idFrom = (location: string) => /\/Patient\/([^/]+)\//.exec(location)![1];
const params = (p: Record<string, string>) => ({ resourceType: 'Parameters', parameter: Object.entries(p).map(([name, valueString]) => ({ name, valueString })) });
const at = (iso: string) => (a.clock.now = new Date(iso));

async function seed(resources: Resource[]): Promise<void> {
  const ctx: RequestContext = { requestId: 'seed', access: TRUE, state: new RequestState() };
  markSystemContext(ctx);
  for (const r of resources) await a.service.repo.update(ctx, r);
}

beforeAll(async () => {
  a = await createRecordsApp({ start: new Date('2026-12-01T10:00:00Z') });
  await seed([
    // A parent with a record of his own (for the parent channel), and Lou, who comes of age on 7 December 2026.
    { ...person(INS.dad, 'MARTIN', 'Paul', 'male', '1980-01-15', 'papa.martin@example.org'), id: 'dad' },
    consent('dad-open', 'dad', { type: 'permit' }),
    { ...person(INS.lou, 'PETIT', 'Lou', 'female', '2008-12-07', 'lou@example.org'), id: 'lou' },
    { resourceType: 'RelatedPerson', id: 'mum-lou', active: true, patient: { reference: 'Patient/lou' }, relationship: [{ coding: [{ system: ROLE, code: 'MTH' }] }], name: [{ family: 'PETIT' }], telecom: [{ system: 'email', value: 'maman.lou@example.org' }] } as Resource,
  ]);
  tokens.pharmacist = await a.token({ kind: 'practitioner', id: '10000000001' });
  tokens.cnam = await a.token({ kind: 'system', id: 'cnam', category: 'assurance-maladie' });
  tokens.dad = await a.token({ kind: 'patient', id: 'dad' });
}, 120_000);
afterAll(() => a?.close());

test('record created online by the patient himself: told when, by whom, with the link; the activation code comes separately', async () => {
  at('2026-12-01T10:00:00Z');
  const res = await post(await a.token({ kind: 'patient', id: INS.claire }), 'Patient', person(INS.claire, 'DURAND', 'Claire', 'female', '1990-05-04', 'claire@example.org'));
  expect(res.status).toBe(201);
  ids.claire = idFrom(res.headers.location);
  const [created] = await noticesOf(ids.claire, 'record-created');
  expect(created).toMatchObject({ recipient: 'claire@example.org', subject: 'Création de votre dossier médical partagé', status: 'pending' });
  expect(created.body).toContain('Votre dossier médical partagé (DMP) a été créé le 1 décembre 2026 à 11:00 par vous-même, en ligne.');
  expect(created.body.endsWith(`Consultez votre dossier : ${portal()}`)).toBe(true);
  expectNoHealthData(created, '1990-05-04');
  // Credentials sent: the activation notice, secret, to the same contact, saying the record was opened and when.
  const [activation] = await noticesOf(ids.claire, 'activation');
  expect(activation.recipient).toBe('claire@example.org');
  expect(activation.body).toMatch(/^Un dossier médical partagé \(DMP\) a été ouvert à votre nom le 1 décembre 2026 à 11:00\. Votre code d’activation est \w{4}-\w{4}-\w{4}, valable jusqu’au 31 décembre 2026\./);
  expectNoHealthData(activation, '1990-05-04');
});

test('record created by a pharmacist: the professional in words, and the code printed for the patient', async () => {
  at('2026-12-01T11:00:00Z');
  const res = await post(tokens.pharmacist, 'Patient', person(INS.marc, 'LEROY', 'Marc', 'male', '1985-02-10', 'marc@example.org'));
  expect(res.status).toBe(201);
  expect(res.headers['x-activation-code']).toMatch(/^\w{4}-\w{4}-\w{4}$/);
  ids.marc = idFrom(res.headers.location);
  const [created] = await noticesOf(ids.marc, 'record-created');
  expect(created.recipient).toBe('marc@example.org');
  expect(created.body).toMatch(/a été créé le 1 décembre 2026 à 12:00 par [^.]*\(RPPS 10000000001\)\./);
  expectNoHealthData(created, '1985-02-10');
});

test('record created by a professional for a minor, with his mother in the same transaction: the mother is told', async () => {
  at('2026-12-01T12:00:00Z');
  const bundle: Bundle = {
    resourceType: 'Bundle', type: 'transaction', entry: [
      { fullUrl: 'urn:uuid:7d0e8e2c-0000-4000-8000-000000000001', resource: person(INS.leo, 'BERNARD', 'Léo', 'male', '2015-04-20'), request: { method: 'POST', url: 'Patient' } },
      {
        resource: { resourceType: 'RelatedPerson', active: true, patient: { reference: 'urn:uuid:7d0e8e2c-0000-4000-8000-000000000001' }, relationship: [{ coding: [{ system: ROLE, code: 'MTH' }] }], name: [{ family: 'BERNARD', given: ['Anne'] }], telecom: [{ system: 'email', value: 'anne.bernard@example.org' }] },
        request: { method: 'POST', url: 'RelatedPerson' },
      },
    ],
  };
  const res = await post(tokens.pharmacist, '', bundle);
  expect(res.status).toBe(200);
  ids.leo = idFrom(res.body.entry[0].response.location);
  // Léo has no contact: his own row is kept as 'no-recipient' (queued before his mother was linked); she is told.
  const all = await noticesOf(ids.leo, 'record-created');
  expect(all.map((r) => [r.recipient, r.status])).toEqual([['anne.bernard@example.org', 'pending'], [null, 'no-recipient']]);
  const rows = all.filter((r) => r.recipient);
  expect(rows[0].body).toMatch(/^Vous recevez cet avis en tant que représentant légal du dossier médical partagé de Léo BERNARD\. Votre dossier médical partagé \(DMP\) a été créé le 1 décembre 2026 à 13:00 par /);
  expectNoHealthData(rows[0], '2015-04-20');
});

test('record created at an Assurance Maladie counter: « par l’Assurance Maladie »', async () => {
  at('2026-12-01T13:00:00Z');
  const res = await post(tokens.cnam, 'Patient', person(INS.sophie, 'MOREAU', 'Sophie', 'female', '1970-03-03', 'sophie@example.org'));
  expect(res.status).toBe(201);
  ids.sophie = idFrom(res.headers.location);
  const [created] = await noticesOf(ids.sophie, 'record-created');
  expect(created.recipient).toBe('sophie@example.org');
  expect(created.body).toContain('a été créé le 1 décembre 2026 à 14:00 par l’Assurance Maladie');
  expectNoHealthData(created, '1970-03-03');
});

test('record opened by a parent for his child: one notice saying it was opened, when and by whom, to the parent as guardian', async () => {
  at('2026-12-01T14:00:00Z');
  const res = await post(tokens.dad, 'Patient/$open-minor-record', { resourceType: 'Parameters', parameter: [
    { name: 'patient', resource: person(INS.lina, 'MARTIN', 'Lina', 'female', '2016-03-10') }, { name: 'relationship', valueCode: 'FTH' }] });
  expect(res.status).toBe(201);
  ids.lina = (res.body.parameter[0].valueReference.reference as string).replace('Patient/', '');
  const [opened] = await noticesOf(ids.lina, 'minor-record-opened');
  expect(opened.recipient).toBe('papa.martin@example.org');
  expect(opened.body).toContain('Un dossier médical partagé (DMP) a été ouvert le 1 décembre 2026 à 15:00 par Paul MARTIN');
  expectNoHealthData(opened, '2016-03-10');
  expect(await noticesOf(ids.lina, 'record-created')).toEqual([]);
});

test('contact changed: the previous contact is told, when, in French', async () => {
  at('2026-12-02T08:30:00Z');
  const claire = await a.token({ kind: 'patient', id: ids.claire });
  expect((await post(claire, `Patient/${ids.claire}/$change-contact`, params({ system: 'email', value: 'claire.durand@example.org' }))).status).toBe(200);
  const [confirmation] = await noticesOf(ids.claire, 'contact-confirmation');
  expect(confirmation.recipient).toBe('claire.durand@example.org');
  const code = /\b(\d{6})\b/.exec(confirmation.body)![1];
  expect((await post(claire, `Patient/${ids.claire}/$confirm-contact`, params({ code }))).status).toBe(200);
  const [changed] = await noticesOf(ids.claire, 'contact-changed');
  expect(changed.recipient).toBe('claire@example.org');
  expect(changed.body).toContain('L’adresse e-mail de votre dossier médical partagé a été modifiée le 2 décembre 2026 à 09:30');
  expectNoHealthData(changed);
});

test('INS corrected: told when and by whom, never the new identity', async () => {
  at('2026-12-02T09:00:00Z');
  const res = await post(tokens.cnam, `Patient/${ids.marc}/$update-identity`, { resourceType: 'Parameters', parameter: [
    { name: 'identifier', valueIdentifier: { system: INS_NIR, value: INS.marcNew } }, { name: 'reason', valueString: 'Pièce d’identité vérifiée' }] });
  expect(res.status).toBe(200);
  const [corrected] = await noticesOf(ids.marc, 'identity-corrected');
  expect(corrected.recipient).toBe('marc@example.org');
  expect(corrected.body).toContain("L'identité de votre dossier médical partagé (DMP) a été corrigée le 2 décembre 2026 à 10:00 par l'Assurance Maladie.");
  expect(corrected.body).not.toContain(INS.marcNew);
  expectNoHealthData(corrected, '1985-02-10');
});

test('record closed and reactivated: each told, when, in French, without the reason', async () => {
  const claire = await a.token({ kind: 'patient', id: ids.claire });
  at('2026-12-03T10:00:00Z');
  expect((await post(claire, `Patient/${ids.claire}/$close`, { resourceType: 'Parameters', parameter: [{ name: 'reason', valueCode: 'patient-request' }] })).status).toBe(200);
  at('2026-12-04T10:00:00Z');
  expect((await post(claire, `Patient/${ids.claire}/$reactivate`, { resourceType: 'Parameters' })).status).toBe(200);
  const [closed] = await noticesOf(ids.claire, 'record-closed');
  const [reactivated] = await noticesOf(ids.claire, 'record-reactivated');
  // Notices go to the contact she confirmed.
  expect([closed.recipient, reactivated.recipient]).toEqual(['claire.durand@example.org', 'claire.durand@example.org']);
  expect(closed.body).toContain('a été fermé le 3 décembre 2026 à 11:00');
  expect(closed.body).not.toMatch(/demande du patient|patient-request/);
  expect(reactivated.body).toContain('a été réactivé le 4 décembre 2026 à 11:00');
  for (const row of [closed, reactivated]) expectNoHealthData(row, '1990-05-04');
});

test('guardian access ended at the majority: the former guardian is told at his own contact; the young adult too', async () => {
  at('2026-12-07T08:00:00Z');
  let out = '';
  expect(await majorityCli(['--now', '2026-12-07T08:00:00Z', '--json'], a.env, (t) => void (out += t), a.db)).toBe(0);
  expect(JSON.parse(out).records.map((r: { patientId: string }) => r.patientId)).toEqual(['lou']);
  const rows = await noticesOf('lou', 'guardian-access-ended');
  const toMum = rows.find((r) => r.recipient === 'maman.lou@example.org') as Row;
  expect(toMum.body).toContain('Lou PETIT est majeure depuis le 7 décembre 2026. Vos droits de représentant légal');
  // Her e-mail was the record's while she was a minor: kept for the counter procedure, not sent (a parent may hold it).
  const toLou = rows.find((r) => r.recipient === null) as Row;
  expect(toLou).toMatchObject({ status: 'no-recipient' });
  expect(toLou.body).toContain('Vous êtes majeure depuis le 7 décembre 2026');
  for (const row of rows) expectNoHealthData(row, '2008-12-07');
});

test('purge approaching: told three months ahead, with the closure and purge dates in Paris time', async () => {
  at('2026-12-08T10:00:00Z');
  const marc = await a.token({ kind: 'patient', id: ids.marc });
  expect((await post(marc, `Patient/${ids.marc}/$close`, { resourceType: 'Parameters', parameter: [{ name: 'reason', valueCode: 'other' }] })).status).toBe(200);
  const report = await purgeRecords(new SystemRepository(a.db), { now: shiftDate(new Date('2026-12-08T10:00:00Z'), 10, -2), recordUrl: RECORD_URL });
  expect(report.noticed).toEqual([ids.marc]);
  const [purge] = await noticesOf(ids.marc, 'purge-approaching');
  expect(purge.recipient).toBe('marc@example.org');
  expect(purge.body).toContain('fermé le 8 décembre 2026 à 11:00, sera définitivement supprimé à partir du 8 décembre 2036');
  expectNoHealthData(purge, '1985-02-10');
});
