import { loadAuthConfig } from '../../../src/auth/auth-config';
import { loadDevKey } from '../../../src/auth/dev-key';
import { mintDevToken } from '../../../src/auth/mint-token';
import { RPPS } from './fixture';
import { useFixtureServer } from './fixture-server';

// The production composition (access, audit, documents) behind startServer: tokens are required, the
// development key kept in DATA_DIR is the one the token CLI uses, and discovery is public.

const run = useFixtureServer('dmp-server-');

const token = async (o: Parameters<typeof mintDevToken>[2]) => {
  const auth = loadAuthConfig({ DEV_AUTH: '1' }, run.dataDir);
  return mintDevToken(auth, await loadDevKey(auth), o);
};

test('the CapabilityStatement and SMART discovery need no token; the API does', async () => {
  const metadata = await fetch(`${run.server.fhirUrl}/metadata`);
  expect(metadata.status).toBe(200);
  const cs = (await metadata.json()) as { rest: { resource: { type: string; operation?: { name: string; definition: string }[] }[] }[] };
  const operationsOf = (type: string) => cs.rest[0].resource.find((r) => r.type === type)?.operation ?? [];
  expect(operationsOf('Patient')).toContainEqual(expect.objectContaining({ name: 'everything', definition: 'http://hl7.org/fhir/OperationDefinition/Patient-everything' }));
  expect(operationsOf('DocumentReference').map((o) => o.name)).toContain('import');
  expect(operationsOf('AuditEvent').map((o) => o.name)).toContain('verify');
  expect((await fetch(`${run.server.url}/.well-known/smart-configuration`)).status).toBe(200);
  const denied = await fetch(`${run.server.fhirUrl}/Patient`);
  expect(denied.status).toBe(401);
  expect(denied.headers.get('www-authenticate')).toMatch(/^Bearer/);
});

test('a token minted with the key in DATA_DIR reads what the consents allow', async () => {
  const auth = { Authorization: `Bearer ${await token({ kind: 'practitioner', id: RPPS.spec })}` };
  expect((await fetch(`${run.server.fhirUrl}/DocumentReference/d1`, { headers: auth })).status).toBe(200);
  expect((await fetch(`${run.server.fhirUrl}/DocumentReference/d2`, { headers: auth })).status).toBe(404);
  const everything = await fetch(`${run.server.fhirUrl}/Patient/p1/$everything`, { headers: auth });
  expect(everything.status).toBe(200);
  expect(((await everything.json()) as { total: number }).total).toBe(12);
});

test('an insurer is refused everything with 403', async () => {
  const auth = { Authorization: `Bearer ${await token({ kind: 'system', id: 'axa', category: 'insurer' })}` };
  expect((await fetch(`${run.server.fhirUrl}/Patient/p1`, { headers: auth })).status).toBe(403);
});
