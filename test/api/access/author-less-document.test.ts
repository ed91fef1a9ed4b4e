import type { MintOptions } from '../../../src/auth/mint-token';
import { startAuditServer, type AuditServer } from '../audit/server-harness';
import { A07, byRpps, consent, loadFixture, maskDoc, RPPS } from './fixture';

// Issue 11: a professional's DocumentReference that names no `author` is his by provenance (the writer recorded
// from his token). The write side always counted that writer as the document's author; the read side looked only at
// the `author` element, so once masked (MASQUE_PS at submission, or the patient's Consent) the writer could neither
// read nor update his own document. Another authorised professional must still not see it. Run on the production
// composition (access, audit, documents: the DMP metadata PATCH is the documents module's).

let s: AuditServer;
const BIOLOGIST = '10000000011';
const WHO: Record<string, MintOptions> = {
  patient: { kind: 'patient', id: 'p1' },
  spec: { kind: 'practitioner', id: RPPS.spec },
  biologist: { kind: 'practitioner', id: BIOLOGIST },
};
const tokens: Record<string, string> = {};

beforeAll(async () => {
  s = await startAuditServer();
  await loadFixture(s.server.service);
  for (const [name, mint] of Object.entries(WHO)) tokens[name] = await s.token(mint);
  // p1 authorised spec (fixture) and, here, the biologist: both ordinary authorised professionals, neither treating.
  const permit = await send('patient', 'POST', '/Consent', { ...consent('x', 'p1', { type: 'permit', actor: [byRpps(BIOLOGIST)] }), id: undefined });
  if (permit.status !== 201) throw new Error(`consent: ${permit.status}`);
}, 120_000);
afterAll(() => s?.close());

const send = (who: string, method: string, url: string, body?: unknown, contentType = 'application/fhir+json') =>
  s.fhir(tokens[who], method, url, body, { 'content-type': contentType });
const get = (who: string, url: string) => send(who, 'GET', url);
const ids = (bundle: { entry?: { resource: { id: string } }[] }): string[] => (bundle.entry ?? []).map((e) => e.resource.id);

/** A report with no `author` element: its author is whoever wrote it (provenance). */
const authorLess = (flags: string[] = [], text = 'compte rendu') => ({
  resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/p1' },
  type: { coding: [{ system: 'http://loinc.org', code: '11488-4' }] },
  securityLabel: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N' }] }, ...flags.map((code) => ({ coding: [{ system: A07, code }] }))],
  content: [{ attachment: { contentType: 'text/plain', data: Buffer.from(text).toString('base64') } }],
});

test('the writer of an author-less document labelled MASQUE_PS reads, finds and updates it; another authorised practitioner does not see it', async () => {
  const created = await send('spec', 'POST', '/DocumentReference', authorLess(['MASQUE_PS']));
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  const url = `/DocumentReference/${id}`;

  expect((await get('spec', url)).status).toBe(200);
  const found = await get('spec', '/DocumentReference?patient=Patient/p1&_count=100');
  expect(ids(found.body)).toContain(id);
  const updated = await send('spec', 'PUT', url, { ...authorLess(['MASQUE_PS'], 'compte rendu corrigé'), id });
  expect(updated.status).toBe(200);

  expect((await get('biologist', url)).status).toBe(404);
  const theirs = await get('biologist', '/DocumentReference?patient=Patient/p1&_count=100');
  expect(ids(theirs.body)).not.toContain(id);
  // Hidden is absent for writes too: the other practitioner's update answers as one of a missing id does.
  const hidden = await send('biologist', 'PUT', url, { ...authorLess(['MASQUE_PS'], 'autre'), id });
  const missing = await send('biologist', 'PUT', '/DocumentReference/no-such-doc', { ...authorLess(['MASQUE_PS'], 'autre'), id: 'no-such-doc' });
  expect([hidden.status, hidden.body.issue?.[0]?.diagnostics]).toEqual([missing.status, missing.body.issue?.[0]?.diagnostics.replace('no-such-doc', id)]);
  expect(hidden.status).not.toBe(200);
  expect((await get('spec', url)).body.content[0].attachment.data).toBe(Buffer.from('compte rendu corrigé').toString('base64'));
});

test('the writer of an author-less document the patient then masks by Consent still reads and updates it; another authorised practitioner does not', async () => {
  const created = await send('spec', 'POST', '/DocumentReference', authorLess());
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  const url = `/DocumentReference/${id}`;
  expect((await get('biologist', url)).status).toBe(200); // not masked yet: every authorised professional reads it

  const mask = await send('patient', 'POST', '/Consent', { ...consent('x', 'p1', { type: 'deny', data: maskDoc(id) }), id: undefined });
  expect(mask.status).toBe(201);

  expect((await get('spec', url)).status).toBe(200);
  expect((await send('spec', 'PUT', url, { ...authorLess([], 'compte rendu corrigé'), id })).status).toBe(200);
  expect((await get('biologist', url)).status).toBe(404);

  // Retracting it (status entered-in-error) is for an author: its writer is one.
  const retract = await send('spec', 'PATCH', url, [{ op: 'replace', path: '/status', value: 'entered-in-error' }], 'application/json-patch+json');
  expect(retract.status).toBe(200);
  expect(retract.body.status).toBe('entered-in-error');
});
