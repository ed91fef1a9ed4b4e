import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Resource } from '@medplum/fhirtypes';
import { setPatientCredential, type LoginCodeMessage } from '../../../src/auth/patient-login';
import { exportJWK, generateKeyPair, type SignJWT } from '../../../src/auth/jose';
import { INS_NIR, loadFixture, P2_INS, systemContext } from '../access/fixture';
import { createAccessApp, type AccessApp } from '../access/harness';

export const PASSWORD = 'correct horse battery';
export const FAST = { N: 1024, r: 8, p: 1 };
export const APP = { clientId: 'demo-app', redirectUri: 'https://app.example/callback' };
export const BACKEND = { clientId: 'lab-feeder', actorId: 'lab-du-parc' };

export interface SmartApp {
  a: AccessApp;
  url: string;
  fhirBase: string;
  tokenUrl: string;
  /** Codes sent by e-mail/SMS, latest last. */
  codes: LoginCodeMessage[];
  lastCode: () => string;
  /** The backend client's private key (RS384) and its kid. */
  backendKey: Parameters<SignJWT["sign"]>[0];
  backendKid: string;
  /** A second backend client, `imaging-feeder`, signing with ES384 (kid `img-1`). */
  esKey: Parameters<SignJWT['sign']>[0];
  close(): Promise<void>;
}

/**
 * The access app with the SMART authorization server, listening on `port` (3180–3189, or 0 for an ephemeral one), with a public app and a
 * backend client registered through SMART_CLIENTS exactly as an operator would, the access fixture, and sign-in
 * credentials for Jeanne (p1, a minor with an e-mail) and Paul Durand (p2, who is also p1's mother's record: rp1
 * names his INS — a guardian).
 */
export async function startSmartApp(
  port: number,
  env: NodeJS.ProcessEnv = {},
  options: { clock?: () => Date; /** More registrations, as an operator would add them to SMART_CLIENTS. */ clients?: object[] } = {},
): Promise<SmartApp> {
  const { privateKey, publicKey } = await generateKeyPair('RS384', { extractable: true });
  const backendKid = 'lab-key-1';
  const es = await generateKeyPair('ES384', { extractable: true });
  const clients = [
    { client_id: APP.clientId, type: 'public', token_endpoint_auth_method: 'none', redirect_uris: [APP.redirectUri], scope: 'openid fhirUser launch/patient offline_access patient/*.rs', grant_types: ['authorization_code', 'refresh_token'] },
    {
      client_id: BACKEND.clientId, type: 'confidential-asymmetric', token_endpoint_auth_method: 'private_key_jwt', redirect_uris: [], scope: 'system/*.cruds',
      grant_types: ['client_credentials'], jwks: { keys: [{ ...(await exportJWK(publicKey)), kid: backendKid, alg: 'RS384' }] }, actor: { kind: 'system', id: BACKEND.actorId, category: 'feeder' },
    },
    {
      client_id: 'imaging-feeder', type: 'confidential-asymmetric', token_endpoint_auth_method: 'private_key_jwt', redirect_uris: [], scope: 'system/*.c',
      grant_types: ['client_credentials'], jwks: { keys: [{ ...(await exportJWK(es.publicKey)), kid: 'img-1', alg: 'ES384' }] }, actor: { kind: 'system', id: 'imagerie-centre', category: 'feeder' },
    },
    ...(options.clients ?? []),
  ];
  const codes: LoginCodeMessage[] = [];
  // Port 0: listen first on an ephemeral port, since the app needs its own base URL (BASE_URL) to be built.
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.writeHead(503).end();
  };
  const server: Server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const a = await createAccessApp({
    clock: options.clock,
    baseUrl: url,
    env: { SMART_CLIENTS: JSON.stringify(clients), ...env },
    sendLoginCode: async (_tx, message) => {
      codes.push(message);
      return true;
    },
  }).catch((err: unknown) => {
    server.close();
    throw err;
  });
  await loadFixture(a.service);
  const extra: Resource[] = [
    // Paul Durand (p2) can receive codes, and is named by INS on p1's mother link rp1: he is Jeanne's guardian.
    { resourceType: 'Patient', id: 'p2', identifier: [{ system: INS_NIR, value: P2_INS }], name: [{ family: 'Durand', given: ['Paul'] }], gender: 'male', birthDate: '1980-01-01', telecom: [{ system: 'email', value: 'paul@example.org' }] },
    {
      resourceType: 'RelatedPerson', id: 'rp1', patient: { reference: 'Patient/p1' }, identifier: [{ system: INS_NIR, value: P2_INS }],
      relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'MTH' }] }],
    },
    { resourceType: 'Condition', id: 'cond1', subject: { reference: 'Patient/p1' }, code: { text: 'asthme' } } as Resource,
  ];
  for (const r of extra) await a.service.repo.update(systemContext(), r);
  await setPatientCredential(a.testDb.db, { login: 'jeanne', patientId: 'p1', password: PASSWORD, scrypt: FAST });
  await setPatientCredential(a.testDb.db, { login: 'paul.durand', patientId: 'p2', password: PASSWORD, scrypt: FAST });
  handler = a.app;
  return {
    a, url, fhirBase: `${url}/fhir`, tokenUrl: `${url}/auth/token`, codes,
    lastCode: () => codes[codes.length - 1].code,
    backendKey: privateKey, backendKid, esKey: es.privateKey,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await a.close();
    },
  };
}
