import request from 'supertest';
import type { MintOptions } from '../../../src/auth/mint-token';
import { loadFixture } from './fixture';
import { createAccessApp, type AccessApp } from './harness';

/** HTTP helpers that act as one of the named actors of a test file. */
export interface FixtureCalls {
  /** The app, once `beforeAll` has built it. */
  app(): AccessApp;
  get(who: string, url: string): request.Test;
  send(who: string, method: 'post' | 'put' | 'patch' | 'delete', url: string, body?: unknown): request.Test;
}

/**
 * Registers the `beforeAll`/`afterAll` of a file that works on the access fixture: the access app, the fixture loaded
 * as the server writes it, and one development token per named actor.
 */
export function useFixtureApp(actors: Record<string, MintOptions>, options: Parameters<typeof createAccessApp>[0] = {}): FixtureCalls {
  let a: AccessApp | undefined;
  const tokens: Record<string, string> = {};
  beforeAll(async () => {
    a = await createAccessApp(options);
    await loadFixture(a.service);
    for (const [name, mint] of Object.entries(actors)) tokens[name] = await a.token(mint);
  }, 120_000);
  afterAll(() => a?.close());
  const app = (): AccessApp => {
    if (!a) throw new Error('the fixture app is built in beforeAll');
    return a;
  };
  return {
    app,
    get: (who, url) => request(app().app).get(url).set('Authorization', `Bearer ${tokens[who]}`),
    send: (who, method, url, body) => {
      const req = request(app().app)[method](url).set('Authorization', `Bearer ${tokens[who]}`).set('Content-Type', 'application/fhir+json');
      return body === undefined ? req : req.send(JSON.stringify(body));
    },
  };
}
