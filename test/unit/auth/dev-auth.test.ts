import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { accessWiring, DEV_MODE_WARNING } from '../../../src/access/wiring';
import { loadAuthConfig, trustsDevIssuer } from '../../../src/auth/auth-config';
import { loadConfig } from '../../../src/config';
import type { Logger } from '../../../src/logger';

let dataDir: string;
beforeAll(() => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'dev-auth-'));
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('DEV_AUTH: development tokens only when asked for explicitly', () => {
  test('does not trust the development issuer when neither AUTH_ISSUERS nor DEV_AUTH is set', () => {
    expect(trustsDevIssuer(loadAuthConfig({}, dataDir))).toBe(false);
    expect(trustsDevIssuer(loadAuthConfig({ DEV_AUTH: '0' }, dataDir))).toBe(false);
  });

  test('trusts it with DEV_AUTH=1, beside configured issuers too', () => {
    expect(trustsDevIssuer(loadAuthConfig({ DEV_AUTH: '1' }, dataDir))).toBe(true);
    expect(trustsDevIssuer(loadAuthConfig({ DEV_AUTH: '1', AUTH_ISSUERS: JSON.stringify([{ issuer: 'https://idp.example', jwks: '/nowhere.json', mints: { kinds: ['practitioner'] } }]) }, dataDir))).toBe(true);
  });

  test('refuses to load DEV_AUTH=1 with NODE_ENV=production, naming both variables', () => {
    expect(() => loadAuthConfig({ DEV_AUTH: '1', NODE_ENV: 'production' }, dataDir)).toThrow(/DEV_AUTH=1.*NODE_ENV=production/);
    expect(trustsDevIssuer(loadAuthConfig({ NODE_ENV: 'production' }, dataDir))).toBe(false);
  });

  test('refuses a DEV_AUTH value other than 1 or 0 rather than guessing', () => {
    expect(() => loadAuthConfig({ DEV_AUTH: 'true' }, dataDir)).toThrow(/DEV_AUTH must be 1/);
  });
});

describe('the start-up log says which tokens are trusted', () => {
  const logged = async (env: NodeJS.ProcessEnv) => {
    const lines: { level: string; message: string }[] = [];
    const logger = {
      warn: (message: string) => lines.push({ level: 'warn', message }),
      info: (message: string) => lines.push({ level: 'info', message }),
    } as unknown as Logger;
    await accessWiring({ config: loadConfig({}, { dataDir, logLevel: 'silent' }), db: undefined as never, logger, env });
    return lines;
  };

  test('warns of development mode under DEV_AUTH=1', async () => {
    expect(await logged({ DEV_AUTH: '1' })).toEqual([{ level: 'warn', message: DEV_MODE_WARNING }]);
    expect(DEV_MODE_WARNING).toBe('DEVELOPMENT MODE: tokens signed by the development key are trusted (DEV_AUTH=1) — never in production');
  });

  test('names the production issuers at info level when they are configured', async () => {
    const lines = await logged({ AUTH_ISSUERS: JSON.stringify([{ issuer: 'https://idp.example', jwks: 'https://idp.example/jwks', mints: { kinds: ['practitioner'] } }]) });
    expect(lines).toEqual([{ level: 'info', message: 'production token issuers: https://idp.example' }]);
  });

  test('says that only patient sign-in tokens are trusted when nothing is configured', async () => {
    const lines = await logged({});
    expect(lines).toHaveLength(1);
    expect(lines[0].level).toBe('warn');
    expect(lines[0].message).toMatch(/only patient sign-in tokens are trusted/);
  });

  test('stops the wiring (and so the server) on DEV_AUTH=1 with NODE_ENV=production', async () => {
    await expect(logged({ DEV_AUTH: '1', NODE_ENV: 'production' })).rejects.toThrow(/DEV_AUTH=1.*NODE_ENV=production/);
  });
});
