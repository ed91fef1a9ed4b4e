import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadClientRegistry } from '../../../src/smart/client-registry';

const publicApp = { client_id: 'app', type: 'public', token_endpoint_auth_method: 'none', redirect_uris: ['https://app.example/cb'], scope: 'openid patient/*.rs', grant_types: ['authorization_code'] };
const rsaKey = { kty: 'RSA', kid: 'k1', n: 'sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw', e: 'AQAB' };
const backend = { client_id: 'lab', type: 'confidential-asymmetric', token_endpoint_auth_method: 'private_key_jwt', scope: 'system/*.c', grant_types: ['client_credentials'], jwks: { keys: [rsaKey] }, actor: { kind: 'system', id: 'lab-1', category: 'feeder' } };
const load = (clients: unknown, devAuth = false) => loadClientRegistry({ SMART_CLIENTS: JSON.stringify(clients) }, { devAuth });

describe('SMART_CLIENTS', () => {
  test('loads a public app and a backend client with exactly the documented keys', () => {
    const registry = load([publicApp, backend]);
    expect(registry.find('app')).toMatchObject({ type: 'public', redirectUris: ['https://app.example/cb'] });
    expect(registry.find('lab')).toMatchObject({ authMethod: 'private_key_jwt', actor: { kind: 'system', id: 'lab-1', category: 'feeder' } });
    expect(registry.redirectOrigins()).toEqual(['https://app.example']);
  });

  test.each([
    [[{ ...publicApp, client_secret: 'x' }], /SMART_CLIENTS\[0\] client "app": "client_secret" is not a known key/],
    [[{ ...publicApp, type: 'confidential-symmetric' }], /client "app": "type" must be/],
    [[{ ...publicApp, token_endpoint_auth_method: 'private_key_jwt' }], /client "app": "token_endpoint_auth_method" must be "none"/],
    [[{ ...publicApp, redirect_uris: ['http://app.example/cb'] }], /client "app": "redirect_uris" "http:\/\/app.example\/cb" must use https/],
    [[{ ...publicApp, redirect_uris: ['https://app.example/cb#frag'] }], /client "app": "redirect_uris" .* fragment/],
    [[{ ...publicApp, redirect_uris: [] }], /client "app": "redirect_uris" are required/],
    [[{ ...publicApp, grant_types: ['implicit'] }], /client "app": "grant_types" has "implicit"/],
    [[{ ...publicApp, grant_types: ['client_credentials'] }], /client "app": "grant_types" client_credentials needs a confidential/],
    [[publicApp, publicApp], /client "app": "client_id" is registered twice/],
    [[{ ...backend, jwks: undefined }], /client "lab": "jwks" must be a JWKS object/],
    [[{ ...backend, jwks: 'http://keys.example/jwks.json' }], /client "lab": "jwks" an URL must use https/],
    [[{ ...backend, jwks: '/nonexistent/jwks.json' }], /client "lab": "jwks" cannot read the JWKS file/],
    [[{ ...backend, jwks: { keys: [{ ...rsaKey, d: 'secret' }] } }], /client "lab": "jwks" key k1 is a private key/],
    [[{ ...backend, actor: undefined }], /client "lab": "actor" must be/],
    [[{ ...backend, actor: { kind: 'practitioner', id: 'x' } }], /client "lab": "actor" must be/],
    [[{ ...backend, actor: { kind: 'system', id: 'x', category: 'pharmacy' } }], /client "lab": "actor" "category" must be one of/],
  ])('refuses %j naming the client and the key', (clients, message) => {
    expect(() => load(clients)).toThrow(message);
  });

  test('refuses a value that is not a JSON array', () => {
    expect(() => loadClientRegistry({ SMART_CLIENTS: '{"client_id":"x"}' }, { devAuth: false })).toThrow(/must be a JSON array/);
    expect(() => loadClientRegistry({ SMART_CLIENTS: '[{' }, { devAuth: false })).toThrow(/not valid JSON/);
  });

  test('reads @file, and a JWKS from a file path', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'smart-clients-'));
    writeFileSync(path.join(dir, 'jwks.json'), JSON.stringify({ keys: [rsaKey] }));
    writeFileSync(path.join(dir, 'clients.json'), JSON.stringify([{ ...backend, jwks: path.join(dir, 'jwks.json') }]));
    expect(loadClientRegistry({ SMART_CLIENTS: `@${path.join(dir, 'clients.json')}` }, { devAuth: false }).find('lab')?.keys).toBeDefined();
  });

  test('in development mode only, an unregistered id with a loopback redirect is a public PKCE client', () => {
    const dev = load([publicApp], true);
    expect(dev.find('anything', 'http://127.0.0.1:8765/cb')).toMatchObject({ type: 'public', dev: true });
    expect(dev.find('anything', 'http://localhost:8765/cb')).toBeUndefined();
    expect(dev.find('anything', 'https://evil.example/cb')).toBeUndefined();
    expect(dev.allowsRedirect(dev.find('app')!, 'http://127.0.0.1:1234/cb')).toBe(true);
    const prod = load([publicApp], false);
    expect(prod.find('anything', 'http://127.0.0.1:8765/cb')).toBeUndefined();
    expect(prod.allowsRedirect(prod.find('app')!, 'http://127.0.0.1:1234/cb')).toBe(false);
  });
});
