import { loadConfig } from '../../../src/config';
import { createLogger } from '../../../src/logger';
import { smartWiring } from '../../../src/smart/wiring';
import type { Db } from '../../../src/store/db';

const backend = [{
  client_id: 'lab', type: 'confidential-asymmetric', token_endpoint_auth_method: 'private_key_jwt', scope: 'system/*.c', grant_types: ['client_credentials'],
  jwks: { keys: [{ kty: 'EC', crv: 'P-384', kid: 'k', x: 'x', y: 'y' }] }, actor: { kind: 'system', id: 'lab-1' },
}];
const deps = (env: NodeJS.ProcessEnv, baseUrl?: string) => ({
  config: loadConfig({}, { logLevel: 'silent', dataDir: '/tmp/smart-wiring-test', baseUrl }),
  db: {} as Db,
  logger: createLogger('silent'),
  env: { LOGIN_ISSUER_KEY: JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', d: 'jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI', kid: 'login-test' }), ...env },
});

describe('SMART wiring at start-up', () => {
  test('refuses private_key_jwt clients without BASE_URL outside development (assertions name the token URL)', async () => {
    await expect(smartWiring(deps({ SMART_CLIENTS: JSON.stringify(backend) }))).rejects.toThrow(/set BASE_URL/);
  });

  test('starts with BASE_URL set, and names the authorization endpoints beside the FHIR base', async () => {
    const wiring = await smartWiring(deps({ SMART_CLIENTS: JSON.stringify(backend) }, 'https://dmp.example'));
    expect(wiring.oauthUris?.('https://dmp.example/fhir')).toEqual({
      authorize: 'https://dmp.example/auth/authorize', token: 'https://dmp.example/auth/token', revoke: 'https://dmp.example/auth/revoke',
    });
  });

  test('a bad CORS origin stops the start naming it', async () => {
    await expect(smartWiring(deps({ CORS_ORIGINS: 'https://ok.example,*' }))).rejects.toThrow(/CORS_ORIGINS: "\*" is not an origin/);
  });
});
