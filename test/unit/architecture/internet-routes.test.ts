import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuthRoutesOptions } from '../../../src/auth/auth-routes';
import type { SmartDeps } from '../../../src/smart/smart-deps';
import { describe as describeEdges, importsOf, isUnder, ROOT, sourceFiles } from './import-graph';

// Issue 11: the routes the Internet reaches outside the FHIR API (sign-in, activation and reset, the SMART authorization
// server, the portal) hold no database connection. What each may do to the database is a named capability the
// composition root built (`SmartStore`, `PatientLogin`, `resolveCaller`, `setPassword` …), so a new route cannot run a
// statement of its own choosing, and a reviewer reads what these routes can do in their options' types. A module that
// mounts routes appears here by its `app.get(…)`/`app.post(…)` calls; an exception is a design decision: say why.

/** Modules that may mount routes and still reach a connection, each with its reason. */
const ALLOWED: Record<string, string> = {
  'src/app.ts': 'the composition root: builds the system repository and every capability the routes receive',
  'src/http/metrics.ts': 'reads the PostgreSQL pool statistics for /metrics (behind METRICS_TOKEN); runs no statement',
  'src/smart/wiring.ts': "a wiring: builds the SMART pages' capabilities (SmartStore, the patient login over the system repository) and mounts CORS and the routes of authorize-route.ts and token-route.ts, which hold none",
};

/** What gives a connection or a statement: the connection type and drivers, the SQL builder, the system layer. */
const RAW = ['src/store/db', 'src/store/sql', 'src/kernel/sql', 'src/store/open-db', 'src/store/pg-db', 'src/store/pglite-db', 'src/store/repository'];
const reachesRaw = (target: string | undefined): boolean => !!target && (RAW.includes(target) || isUnder(target, 'src/system'));

/** Modules that mount routes on the Express app (or a router), found by their calls. */
function routeModules(): string[] {
  return sourceFiles('src').filter((file) => /\b(app|router)\.(get|post|put|patch|delete|all|use)\(/.test(readFileSync(join(ROOT, file), 'utf8')));
}

describe('routes that face the Internet', () => {
  it('are found by the scan: sign-in, account procedures, SMART authorization and token, the portal', () => {
    expect(routeModules()).toEqual(expect.arrayContaining([
      'src/auth/auth-routes.ts', 'src/auth/account-routes.ts', 'src/smart/authorize-route.ts', 'src/smart/token-route.ts', 'src/portal/portal-routes.ts',
    ]));
  });

  it('import no connection, driver, SQL builder or system repository (only the allow-listed modules do)', () => {
    const route = routeModules().filter((file) => !(file in ALLOWED));
    // The options modules the routes share are part of them: a connection there would be one in every route.
    const shared = ['src/smart/smart-deps.ts', ...sourceFiles('src/portal').filter((f) => !f.endsWith('/wiring.ts'))];
    const edges = [...new Set([...route, ...shared])].flatMap(importsOf).filter((e) => reachesRaw(e.target));
    expect(describeEdges(edges)).toEqual([]);
  });

  it('keeps its allow-list exact: every listed module still mounts routes and still needs the exception', () => {
    const route = new Set(routeModules());
    for (const file of Object.keys(ALLOWED)) {
      expect({ file, mounts: route.has(file), reaches: importsOf(file).some((e) => reachesRaw(e.target)) }).toEqual({ file, mounts: true, reaches: true });
    }
  });

  it('receive options with no connection in them (checked by the type checker)', () => {
    const smart: 'db' extends keyof SmartDeps ? 'has db' : 'no db' = 'no db';
    const auth: 'db' extends keyof AuthRoutesOptions ? 'has db' : 'no db' = 'no db';
    expect([smart, auth]).toEqual(['no db', 'no db']);
  });
});
