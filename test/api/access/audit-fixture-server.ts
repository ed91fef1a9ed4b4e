import type { Resource } from '@medplum/fhirtypes';
import type { Config } from '../../../src/config';
import { type AuditServer, startAuditServer } from '../audit/server-harness';
import { loadFixture } from './fixture';

type Actor = Parameters<AuditServer['token']>[0];

/**
 * The production composition over the access fixture (plus `extra` resources) for the tests of one file, with a token per
 * named actor: started before them, closed after. `s` stands for the server inside tests; `tokens` is filled before them.
 */
export function useAuditFixtureServer(actors: Record<string, Actor>, options: { extra?: Resource[]; config?: Partial<Config> } = {}): { s: AuditServer; tokens: Record<string, string> } {
  let current: AuditServer | undefined;
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    current = await startAuditServer({}, { config: options.config });
    await loadFixture(current.server.service);
    for (const resource of options.extra ?? []) await current.server.service.repo.update(current.systemContext(), resource);
    for (const [name, actor] of Object.entries(actors)) tokens[name] = await current.token(actor);
  }, 120_000);
  afterAll(() => current?.close());
  const s = new Proxy({} as AuditServer, {
    get(_target, key) {
      if (!current) throw new Error('The audit fixture server is used outside a test');
      // Not bound: the app's members are closures, and `app` is an Express app (a function with properties).
      return (current as unknown as Record<PropertyKey, unknown>)[key];
    },
  });
  return { s, tokens };
}
