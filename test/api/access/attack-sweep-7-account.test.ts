import type { AuditEvent, Patient } from '@medplum/fhirtypes';
import { startAuditServer, type AuditServer } from '../audit/server-harness';
import { IDNAT, INS_NIR, RPPS } from './fixture';
import { withInsKey } from './ins-values';

// Issue 11's outside check, sweep 7: account takeover by the opening professional (README "Activation, password reset,
// contact change"). A professional opening a record types its contacts himself and gets the activation code to print
// (X-Activation-Code); if he types his own e-mail he holds every copy of the code and can activate the record himself.
// The code on paper is a bearer credential, so the rules aim at detection and recovery:
// - the holder who types a code already used is told when it was used and where to go if it was not him (409, French);
//   a guesser's wrong code still gets the one neutral 400 (only the holder of the exact code learns anything);
// - the activation's AuditEvent, in the holder's trail, names who issued the code used and when;
// - a new code given at an Assurance Maladie counter takes the account back: the activation replaces every identifier
//   set before on the record. Found: the opener's identifier kept working after the holder activated with a new code,
//   the holder got the neutral « incorrect, expiré ou déjà utilisé » and his trail did not say who issued the code.

let s: AuditServer;
const tokens: Record<string, string> = {};
const PASSWORD = 'Tournesol-cerf-volant-brume-1987';
const HOLDER_PASSWORD = 'Girafe-parapluie-lanterne-2031';
let serial = 10;

const patient = (): Patient => ({
  resourceType: 'Patient', identifier: [{ system: INS_NIR, value: withInsKey(`1800175123${500 + serial++}`) }], name: [{ use: 'official', family: 'MARTIN', given: ['Paul'] }],
  gender: 'male', birthDate: '1980-01-01', telecom: [{ system: 'email', value: 'dr.generaliste@example.org' }],
});
const post = (path: string, body: object) => fetch(`${s.server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const activate = async (patientId: string, code: string, identifier: string, password = PASSWORD) => {
  const res = await post('/auth/activate', { patient: patientId, activation_code: code, identifier, password });
  return { status: res.status, body: (await res.json()) as { issue?: { diagnostics?: string }[] } };
};
const diagnostics = (answer: { body: { issue?: { diagnostics?: string }[] } }) => answer.body.issue?.[0]?.diagnostics;

/** The treating physician opens a record, typing his own e-mail as the patient's; he gets the code to print. */
async function openRecord(): Promise<{ id: string; code: string }> {
  const created = await fetch(`${s.server.fhirUrl}/Patient`, {
    method: 'POST', headers: { authorization: `Bearer ${tokens.gp}`, 'content-type': 'application/fhir+json' }, body: JSON.stringify(patient()),
  });
  expect(created.status).toBe(201);
  return { id: ((await created.json()) as Patient).id as string, code: created.headers.get('x-activation-code') as string };
}

async function activations(patientId: string): Promise<AuditEvent[]> {
  const trail = await s.fhir(await s.token({ kind: 'patient', id: patientId }), 'GET', `/AuditEvent?patient=Patient/${patientId}&_count=100`);
  expect(trail.status).toBe(200);
  return ((trail.body.entry ?? []).map((e: { resource: AuditEvent }) => e.resource) as AuditEvent[])
    .filter((e) => e.subtype?.some((c) => c.system === 'urn:dmp-fhir-adapter:account-procedure' && c.code === 'activation') && e.outcome === '0');
}
const detailsOf = (event: AuditEvent, patientId: string) =>
  Object.fromEntries((event.entity?.find((x) => x.what?.reference === `Patient/${patientId}`)?.detail ?? []).map((d) => [d.type, d.valueString]));

beforeAll(async () => {
  s = await startAuditServer();
  await s.server.service.repo.update(s.systemContext(), { resourceType: 'Practitioner', id: 'gp', identifier: [{ system: IDNAT, value: `8${RPPS.gp}` }], name: [{ family: 'GENERALISTE', given: ['Jean'] }] });
  tokens.gp = await s.token({ kind: 'practitioner', id: RPPS.gp });
  tokens.am = await s.token({ kind: 'system', id: 'cnam-accueil', category: 'assurance-maladie' });
}, 120_000);
afterAll(async () => {
  await s?.close();
});

test('the holder typing a code already used is told when, and to go to an Assurance Maladie counter (409, French)', async () => {
  const { id, code } = await openRecord();
  expect((await activate(id, code, 'pirate.generaliste')).status).toBe(200);
  const holder = await activate(id, code, 'paul.martin', HOLDER_PASSWORD);
  expect(holder.status).toBe(409);
  expect(diagnostics(holder)).toMatch(/^Ce code d’activation a déjà été utilisé, le \d{1,2} \S+ \d{4} à \d{2}:\d{2} \(heure de Paris\)\. Si ce n’était pas vous, rendez-vous dans un accueil de l’Assurance Maladie/);
});

test('a guesser learns nothing: a wrong code on an activated record gets the one neutral 400 (the comparison can fail)', async () => {
  const { id, code } = await openRecord();
  expect((await activate(id, code, 'pirate.deux')).status).toBe(200);
  const guess = await activate(id, 'AAAA-BBBB-CCCC', 'curieux');
  expect([guess.status, diagnostics(guess)]).toEqual([400, 'Le dossier ou le code d’activation est incorrect, expiré ou déjà utilisé.']);
  const unknown = await activate('no-such-record', code, 'curieux');
  expect([unknown.status, diagnostics(unknown)]).toEqual([400, 'Le dossier ou le code d’activation est incorrect, expiré ou déjà utilisé.']);
});

test('the activation in the holder\'s trail names who issued the code used, and when', async () => {
  const { id, code } = await openRecord();
  expect((await activate(id, code, 'pirate.trois')).status).toBe(200);
  const [event] = await activations(id);
  expect(detailsOf(event, id)).toEqual({ 'code-issued-by': `practitioner ${RPPS.gp} (Practitioner/gp)`, 'code-issued-at': expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/) });
});

test('a new code from the counter takes the account back: the opener\'s identifier stops working, the trail says by whom', async () => {
  const { id, code } = await openRecord();
  expect((await activate(id, code, 'pirate.quatre')).status).toBe(200);
  // At the counter, identity papers checked, he gives his own e-mail: it replaces the one the opener typed.
  const counter = await fetch(`${s.server.fhirUrl}/Patient/${id}/$issue-activation`, {
    method: 'POST', headers: { authorization: `Bearer ${tokens.am}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'email', valueString: 'paul.martin@example.org' }] }),
  });
  expect(counter.status).toBe(200);
  const renewed = counter.headers.get('x-activation-code') as string;
  expect((await activate(id, renewed, 'paul.martin.quatre', HOLDER_PASSWORD)).status).toBe(200);
  // The opener's identifier no longer exists; the holder's does.
  expect((await post('/auth/login', { identifier: 'pirate.quatre', password: PASSWORD })).status).toBe(401);
  expect((await post('/auth/login', { identifier: 'paul.martin.quatre', password: HOLDER_PASSWORD })).status).toBe(200);
  const latest = (await activations(id)).find((e) => detailsOf(e, id)['code-issued-by']?.startsWith('system'));
  expect(detailsOf(latest as AuditEvent, id)).toMatchObject({ 'code-issued-by': 'system cnam-accueil (assurance-maladie)', 'identifiers-replaced': '1' });
});
