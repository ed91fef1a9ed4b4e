import { loadFixture } from './fixture';
import { createAccessApp, type AccessApp } from './harness';

/**
 * The access app over the fixture for the tests of one file: created before them, closed after. The object returned
 * stands for the app inside tests (its properties are read from the app of the moment).
 */
export function useFixtureAccessApp(): AccessApp {
  let current: AccessApp | undefined;
  beforeAll(async () => {
    current = await createAccessApp();
    await loadFixture(current.service);
  }, 120_000);
  afterAll(() => current?.close());
  return new Proxy({} as AccessApp, {
    get(_target, key) {
      if (!current) throw new Error('The fixture access app is used outside a test');
      // Not bound: the app's members are closures, and `app` is an Express app (a function with properties).
      return (current as unknown as Record<PropertyKey, unknown>)[key];
    },
  });
}
