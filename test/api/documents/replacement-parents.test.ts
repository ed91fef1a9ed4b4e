import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Binary, Bundle, BundleEntry, DocumentReference } from '@medplum/fhirtypes';
import { startAuditServer, type AuditServer } from '../audit/server-harness';
import { loadFixture, P1_INS, RPPS } from '../access/fixture';

/**
 * Issue 13: a replacement names its parent, and the parent must be in the record. On ITI-65 and ITI-105 a conditional
 * `relatesTo` (`DocumentReference?identifier=…`) is resolved like a CDA RPLC of `$import` (by the system, in the
 * subject's record, then provenance: a feeder replaces only what it submitted); a parent the record does not hold →
 * 422 naming it, nothing written; a parent hidden from the caller answers exactly the same. The PDSm fixtures, made p1's.
 */
const pdsm = (name: string): string => readFileSync(path.join(__dirname, '../../../fixtures/pdsm', `${name}.json`), 'utf8');
const forP1 = (text: string): Bundle => JSON.parse(text.split('180057512345627').join(P1_INS).split('810001234567').join(`8${RPPS.spec}`)) as Bundle;
const refOf = (location: string) => location.split('/_history/')[0].split('/').slice(-2).join('/');

let s: AuditServer;
const tokens: Record<string, string> = {};
let count = 0;

/** The PDSm parent POSTed by `token` under a document id of its own; answers its id and document id. */
async function submitParent(token: string): Promise<{ id: string; master: string }> {
  count += 1;
  const bundle = forP1(pdsm('replacement-target'));
  const master = `urn:oid:1.2.250.1.999.7.3.1.${count}`;
  for (const e of bundle.entry as BundleEntry[]) {
    if (e.request?.url !== 'DocumentReference/cr-consultation-v1') continue;
    e.request = { method: 'POST', url: 'DocumentReference' };
    delete (e.resource as DocumentReference).id;
    (e.resource as DocumentReference).masterIdentifier = { system: 'urn:ietf:rfc:3986', value: master };
  }
  const res = await s.fhir(token, 'POST', '', bundle);
  expect([res.status, res.status === 200 ? '' : JSON.stringify(res.body)]).toEqual([200, '']);
  const doc = res.body.entry.map((e: { response: { location: string } }) => refOf(e.response.location)).find((r: string) => r.startsWith('DocumentReference/'));
  return { id: doc.split('/')[1], master };
}

/** The PDSm replacement bundle, its relatesTo made conditional on the parent's document id, without the PATCH entry. */
function conditionalReplacement(parentMaster: string): { bundle: Bundle; master: string } {
  count += 1;
  const bundle = forP1(pdsm('replacement-submission'));
  bundle.entry = (bundle.entry as BundleEntry[]).filter((e) => e.request?.method !== 'PATCH');
  const doc = bundle.entry[1].resource as DocumentReference;
  const master = `urn:oid:1.2.250.1.999.7.3.2.${count}`;
  doc.masterIdentifier = { system: 'urn:ietf:rfc:3986', value: master };
  doc.relatesTo = [{ code: 'replaces', target: { reference: `DocumentReference?identifier=urn:ietf:rfc:3986|${parentMaster}` } }];
  return { bundle, master };
}

/** The same replacement published by ITI-105: one DocumentReference carrying its document inline. */
function simplifiedPublish(bundle: Bundle): DocumentReference {
  const doc = structuredClone((bundle.entry as BundleEntry[])[1].resource as DocumentReference);
  const binary = (bundle.entry as BundleEntry[]).find((e) => e.resource?.resourceType === 'Binary')?.resource as Binary;
  const attachment = doc.content[0].attachment;
  delete attachment.url;
  delete attachment.hash;
  delete attachment.size;
  attachment.data = binary.data;
  attachment.contentType = binary.contentType;
  return doc;
}

async function filed(master: string): Promise<number> {
  const found = await s.fhir(tokens.gp, 'GET', `/DocumentReference?identifier=urn:ietf:rfc:3986|${master}`);
  return (found.body.entry ?? []).length;
}

beforeAll(async () => {
  s = await startAuditServer();
  await loadFixture(s.server.service);
  tokens.feeder = await s.token({ kind: 'system', id: 'lab-feeder' });
  tokens.otherFeeder = await s.token({ kind: 'system', id: 'other-lab-feeder' });
  tokens.gp = await s.token({ kind: 'practitioner', id: RPPS.gp });
}, 120_000);
afterAll(() => s?.close());

test('a feeder\'s ITI-65 replacement naming its parent by identifier supersedes the document it submitted', async () => {
  const parent = await submitParent(tokens.feeder);
  const { bundle } = conditionalReplacement(parent.master);
  const res = await s.fhir(tokens.feeder, 'POST', '', bundle);
  expect([res.status, res.status === 200 ? '' : JSON.stringify(res.body)]).toEqual([200, '']);
  expect((await s.fhir(tokens.gp, 'GET', `/DocumentReference/${parent.id}`)).body.status).toBe('superseded');
  const replacement = await s.fhir(tokens.gp, 'GET', `/${refOf(res.body.entry[1].response.location)}`);
  expect(replacement.body.relatesTo[0]).toMatchObject({ code: 'replaces', target: { reference: `DocumentReference/${parent.id}` } });
});

test('an ITI-65 replacement of a document the record does not hold is refused (422 naming it), nothing written', async () => {
  const { bundle, master } = conditionalReplacement('urn:oid:1.2.250.1.999.7.3.404');
  const res = await s.fhir(tokens.feeder, 'POST', '', bundle);
  expect(res.status).toBe(422);
  expect(res.body.issue[0].diagnostics).toContain('urn:oid:1.2.250.1.999.7.3.404');
  expect(await filed(master)).toBe(0);
});

test('another feeder naming that parent by identifier gets exactly the answer of an unknown parent', async () => {
  const parent = await submitParent(tokens.feeder);
  const hidden = conditionalReplacement(parent.master);
  const res = await s.fhir(tokens.otherFeeder, 'POST', '', hidden.bundle);
  expect(res.status).toBe(422);
  const unknown = conditionalReplacement('urn:oid:1.2.250.1.999.7.3.405');
  const other = await s.fhir(tokens.otherFeeder, 'POST', '', unknown.bundle);
  expect(other.status).toBe(422);
  expect(JSON.stringify(other.body).split('urn:oid:1.2.250.1.999.7.3.405').join(parent.master)).toBe(JSON.stringify(res.body));
  expect(await filed(hidden.master)).toBe(0);
  expect((await s.fhir(tokens.gp, 'GET', `/DocumentReference/${parent.id}`)).body.status).toBe('current');
});

test('an ITI-105 publish replacing an unknown document is refused (422 naming it); its known parent is superseded', async () => {
  const unknown = conditionalReplacement('urn:oid:1.2.250.1.999.7.3.406');
  const refused = await s.fhir(tokens.feeder, 'POST', '/DocumentReference', simplifiedPublish(unknown.bundle));
  expect(refused.status).toBe(422);
  expect(refused.body.issue[0].diagnostics).toContain('urn:oid:1.2.250.1.999.7.3.406');
  expect(await filed(unknown.master)).toBe(0);
  const parent = await submitParent(tokens.feeder);
  const known = conditionalReplacement(parent.master);
  const published = await s.fhir(tokens.feeder, 'POST', '/DocumentReference', simplifiedPublish(known.bundle));
  expect([published.status, published.status === 201 ? '' : JSON.stringify(published.body)]).toEqual([201, '']);
  expect((await s.fhir(tokens.gp, 'GET', `/DocumentReference/${parent.id}`)).body.status).toBe('superseded');
});
