import type { Hooks } from '../../src/fhir/context';
import { TRUE } from '../../src/store/sql';

/**
 * TEST ONLY: a hook provider that lets every request see and look up everything. The app is closed by default
 * (a request context starts with `access = FALSE`); tests of the bare FHIR core (CRUD, search, paging, bundles …)
 * install this explicitly instead of the access module. Never move it under `src/`.
 */
export function openAccessHooksForTests(): Hooks {
  return {
    async authenticate(_request, ctx) {
      ctx.access = TRUE;
      ctx.lookupAccess = TRUE;
    },
  };
}
