import type { Hooks } from '../../src/fhir/context';
import { TRUE } from '../../src/store/sql';

/**
 * BENCH ONLY: lets every request see and look up everything. The app is closed by default (a request context
 * starts with `access = FALSE`); the variants that measure the core without access control (`core`, `audit`,
 * `documents`) install this explicitly. Never move it under `src/`.
 */
export function benchOpenAccess(): Hooks {
  return {
    async authenticate(_request, ctx) {
      ctx.access = TRUE;
      ctx.lookupAccess = TRUE;
    },
  };
}
