import { loadAuthConfig } from '../../../src/auth/auth-config';
import { loadDevKey } from '../../../src/auth/dev-key';
import { mintDevToken, type MintOptions } from '../../../src/auth/mint-token';
import { consent } from './fixture';
import { useFixtureServer } from './fixture-server';

// Issue 11's outside check, third sweep, with the production composition (access, audit, documents): what only the
// whole server shows. Fixture: p1 is a minor, rp1 his mother; d5 is INVISIBLE_REPRESENTANTS_LEGAUX.

const run = useFixtureServer('dmp-sweep3-');

async function call(who: MintOptions, method: string, url: string, body?: unknown): Promise<{ status: number; text: string; body: any }> {
  const auth = loadAuthConfig({ DEV_AUTH: '1' }, run.dataDir);
  const token = await mintDevToken(auth, await loadDevKey(auth), who);
  const res = await fetch(`${run.server.fhirUrl}${url}`, { method, headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/fhir+json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, text, body: text ? JSON.parse(text) : undefined };
}
const patient: MintOptions = { kind: 'patient', id: 'p1' };
const guardian: MintOptions = { kind: 'guardian', id: 'rp1' };

test('the trail of a guardian does not name the mask his minor child put on a document hidden from him', async () => {
  const mask = await call(patient, 'POST', '/Consent', { ...consent('x', 'p1', { type: 'deny', data: [{ meaning: 'instance', reference: { reference: 'DocumentReference/d5' } }] }), id: undefined });
  expect(mask.status).toBe(201);
  const id = mask.body.id as string;
  expect((await call(patient, 'GET', `/Consent/${id}`)).status).toBe(200);
  expect((await call(guardian, 'GET', `/Consent/${id}`)).status).toBe(404);
  // The creation and the read are in the record's trail: the patient's, not the guardian's.
  const trail = async (who: MintOptions) => (await call(who, 'GET', '/AuditEvent?patient=Patient/p1&_count=500')).text;
  expect(await trail(patient)).toContain(`Consent/${id}`);
  expect(await trail(guardian)).not.toContain(id);
});

test('a replacement naming a document hidden from its sender answers as one naming a missing document', async () => {
  const spec: MintOptions = { kind: 'practitioner', id: '10000000002' };
  const replacing = (id: string) => ({
    resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/p1' },
    relatesTo: [{ code: 'replaces', target: { reference: `DocumentReference/${id}` } }],
    content: [{ attachment: { contentType: 'text/plain', data: 'eA==' } }],
  });
  const hidden = await call(spec, 'POST', '/DocumentReference', replacing('d2'));
  const missing = await call(spec, 'POST', '/DocumentReference', replacing('zz-missing'));
  expect(hidden.status).toBe(422);
  expect([hidden.status, hidden.text.split('d2').join('<id>')]).toEqual([missing.status, missing.text.split('zz-missing').join('<id>')]);
});
