import type { Wiring, WiringDeps } from '../wiring';

/** Plugs the audit module into the app (filled in when the module is integrated). */
export async function auditWiring(deps: WiringDeps): Promise<Wiring> {
  void deps;
  return {};
}
