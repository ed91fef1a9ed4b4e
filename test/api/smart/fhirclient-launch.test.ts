import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Resource } from '@medplum/fhirtypes';
import { systemContext } from '../access/fixture';
import { Browser, signInAndConsent, type Person } from './launch-driver';
import { PASSWORD, startSmartApp, type SmartApp } from './smart-app';

// The real `fhirclient` (2.6.3, its Node adapter) runs a standalone patient launch against our server: a tiny
// local http app plays the SMART app (fhirclient's `authorize` on /launch, `ready` on /callback), a person fills the
// French sign-in pages over HTTP with the one-time code the server sent, then the app works with fhirclient's
// Client: requests, the patient's read, a refresh. isomorphic-webcrypto is replaced by test/shims (package.json
// overrides): fhirclient's Node path does not use it.

// fhirclient's declarations reference the DOM library (`/// <reference lib="dom" />` in lib/types.d.ts), which would
// retype fetch bodies and Buffers across the whole test program: it is required untyped, with the little it is used for.
interface Client {
  state: { tokenResponse?: { scope?: string; access_token?: string; refresh_token?: string } };
  patient: { id: string | null; read(): Promise<unknown> };
  getPatientId(): string | null;
  request(url: string): Promise<unknown>;
  refresh(): Promise<unknown>;
}
interface SmartApi {
  authorize(options: { clientId: string; scope: string; redirectUri: string; iss: string; pkceMode: 'required' }): Promise<unknown>;
  ready(): Promise<Client>;
}
type Storage = { get(key: string): Promise<any>; set(key: string, value: any): Promise<any>; unset(key: string): Promise<boolean> };
const smart = require('fhirclient/lib/entry/node') as (req: IncomingMessage, res: ServerResponse, storage: Storage) => SmartApi;
const NodeAdapter = (require('fhirclient/lib/adapters/NodeAdapter') as { default: new (o: object) => { getSmartApi(): SmartApi } }).default;

const CLIENT_ID = 'fhirclient-app';
const LAB = 'http://terminology.hl7.org/CodeSystem/observation-category|laboratory';
const SCOPE = `openid fhirUser launch/patient offline_access patient/Patient.rs patient/DocumentReference.rs patient/Observation.rs?category=${LAB}`;

/** fhirclient's storage, kept in memory by the app between /launch and /callback (a session would hold it). */
class MemoryStorage {
  private readonly values = new Map<string, unknown>();
  async get(key: string): Promise<any> {
    return this.values.get(key);
  }
  async set(key: string, value: any): Promise<any> {
    this.values.set(key, value);
    return value;
  }
  async unset(key: string): Promise<boolean> {
    return this.values.delete(key);
  }
}

let s: SmartApp;
let app: Server;
let appUrl: string;
const storage = new MemoryStorage();
/** Clients handed out by fhirclient's `ready()` on the app's callback, latest last. */
const clients: Client[] = [];
/**
 * fhirclient's documented setting `refreshTokenWithClientId` for the callback's adapter. Off by default: its refresh
 * request then carries no client_id, which this server accepts for a public client (see the last test).
 */
let refreshWithClientId = false;

/** The SMART app: /launch starts the authorization, /callback completes it (fhirclient's own code throughout). */
async function startApp(): Promise<void> {
  app = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://app').pathname;
    const run = async () => {
      if (path === '/launch') {
        await smart(req, res, storage).authorize({ clientId: CLIENT_ID, scope: SCOPE, redirectUri: `${appUrl}/callback`, iss: s.fhirBase, pkceMode: 'required' });
      } else if (path === '/callback') {
        const api = refreshWithClientId ? new NodeAdapter({ request: req, response: res, storage, refreshTokenWithClientId: true }).getSmartApi() : smart(req, res, storage);
        clients.push(await api.ready());
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ready');
      } else {
        res.writeHead(404).end();
      }
    };
    run().catch((err: Error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err?.message ?? err));
    });
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  appUrl = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  await startApp();
  s = await startSmartApp(0, {}, {
    clients: [{
      client_id: CLIENT_ID, type: 'public', token_endpoint_auth_method: 'none', redirect_uris: [`${appUrl}/callback`],
      scope: 'openid fhirUser launch/patient offline_access patient/*.rs', grant_types: ['authorization_code', 'refresh_token'],
    }],
  });
  const subject = { reference: 'Patient/p1' };
  const category = (code: string) => [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code }] }];
  for (const r of [
    { resourceType: 'Observation', id: 'fc-lab', status: 'final', subject, category: category('laboratory'), code: { text: 'TSH' } },
    { resourceType: 'Observation', id: 'fc-bp', status: 'final', subject, category: category('vital-signs'), code: { text: 'tension' } },
  ] as Resource[]) await s.a.service.repo.update(systemContext(), r);
}, 120_000);
afterAll(async () => {
  await new Promise<void>((resolve) => app?.close(() => resolve()));
  await s?.close();
});

const jeanne = (): Person => ({ identifier: 'jeanne', password: PASSWORD, code: () => s.lastCode() });

/** The launch as a browser makes it: the app's /launch, the sign-in pages, the redirect to the app's /callback. */
async function launch(): Promise<Client> {
  const browser = new Browser();
  const started = await browser.get(`${appUrl}/launch`);
  expect(started.status).toBe(302);
  const authorizeAt = new URL(started.headers.get('location') as string);
  expect(`${authorizeAt.origin}${authorizeAt.pathname}`).toBe(`${s.url}/auth/authorize`);
  // fhirclient sent PKCE S256 (pkceMode 'required' refuses a server that does not advertise it).
  expect(authorizeAt.searchParams.get('code_challenge_method')).toBe('S256');
  const back = await signInAndConsent(browser, s.url, authorizeAt.toString(), jeanne());
  expect(`${back.origin}${back.pathname}`).toBe(`${appUrl}/callback`);
  const before = clients.length;
  const completed = await fetch(back);
  expect({ status: completed.status, body: await completed.text() }).toEqual({ status: 200, body: 'ready' });
  expect(clients.length).toBe(before + 1);
  return clients[clients.length - 1];
}

test('fhirclient launches, exchanges the code and reads Jeanne\'s documents and record', async () => {
  const client = await launch();
  expect(client.getPatientId()).toBe('p1');
  expect(client.state.tokenResponse?.scope).toBe(SCOPE);
  expect(typeof client.state.tokenResponse?.refresh_token).toBe('string');

  const bundle = (await client.request(`DocumentReference?patient=${client.patient.id}`)) as { total?: number; entry?: { resource: { id: string } }[] };
  // Her documents, except the one flagged INVISIBLE_PATIENT (d4).
  expect((bundle.entry ?? []).map((e) => e.resource.id).sort()).toEqual(['d1', 'd2', 'd3', 'd5']);
  const patient = (await client.patient.read()) as { resourceType: string; id: string };
  expect(patient).toMatchObject({ resourceType: 'Patient', id: 'p1' });

  // The constrained scope the server granted narrows what fhirclient gets: laboratory results only.
  const observations = (await client.request('Observation?_count=100')) as { total?: number; entry?: { resource: { id: string } }[] };
  expect((observations.entry ?? []).map((e) => e.resource.id)).toEqual(['fc-lab']);
  expect(observations.total).toBe(1);
  await expect(client.request('Observation/fc-bp')).rejects.toMatchObject({ status: 404 });
  await expect(client.request('AllergyIntolerance')).rejects.toMatchObject({ status: 403 });
}, 60_000);

test('fhirclient refreshes the access token with the refresh token, and the new token works', async () => {
  refreshWithClientId = true;
  const client = await launch().finally(() => {
    refreshWithClientId = false;
  });
  const first = client.state.tokenResponse?.access_token;
  const firstRefresh = client.state.tokenResponse?.refresh_token;
  await client.refresh();
  expect(client.state.tokenResponse?.access_token).toEqual(expect.any(String));
  expect(client.state.tokenResponse?.access_token).not.toBe(first);
  // Refresh tokens rotate: the one used is spent.
  expect(client.state.tokenResponse?.refresh_token).not.toBe(firstRefresh);
  const patient = (await client.patient.read()) as { id: string };
  expect(patient.id).toBe('p1');
}, 60_000);

test('fhirclient\'s default refresh (no client_id in the body) works: a public client\'s refresh token names its client (RFC 6749 §6)', async () => {
  const client = await launch();
  const spent = client.state.tokenResponse?.refresh_token as string;
  await client.refresh();
  expect(client.state.tokenResponse?.refresh_token).not.toBe(spent);
  expect(((await client.patient.read()) as { id: string }).id).toBe('p1');
  // The spent token is a reuse: refused, and (rotation's rule) the whole family is revoked.
  const reused = await fetch(s.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: spent }) });
  expect(reused.status).toBe(400);
  expect(((await reused.json()) as { error: string }).error).toBe('invalid_grant');
  // An unknown token with no client named is no client at all.
  const unknown = await fetch(s.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'not-a-token' }) });
  expect(unknown.status).toBe(401);
  expect(((await unknown.json()) as { error: string }).error).toBe('invalid_client');
}, 60_000);
