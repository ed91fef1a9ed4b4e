import type { Wiring, WiringDeps } from '../wiring';
import { mountPortal } from './portal-routes';
import { loadSessionKey, SessionSealer } from './session';

import { PORTAL_CLIENT_ID } from './client-id';

export { PORTAL_CLIENT_ID };

/** The patient's web space, `/portal/`: a SMART app served by this server (see src/portal/README.md). */
export async function portalWiring(deps: WiringDeps): Promise<Wiring> {
  const sealer = new SessionSealer(loadSessionKey(deps.env, deps.config.dataDir));
  const baseUrl = deps.config.baseUrl;
  return {
    routes: (app) =>
      mountPortal(app, {
        sealer,
        fhirBasePath: deps.config.fhirBasePath,
        baseUrl,
        clientId: PORTAL_CLIENT_ID,
        sessionSeconds: 8 * 3600,
        // Secure cookies unless the public URL is plain http (development on localhost).
        secureCookies: baseUrl ? baseUrl.startsWith('https://') : deps.env.NODE_ENV === 'production',
      }),
  };
}
