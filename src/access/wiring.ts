import type { Wiring, WiringDeps } from '../wiring';

/** Plugs the access module into the app (filled in when the module is integrated). */
export async function accessWiring(deps: WiringDeps): Promise<Wiring> {
  void deps;
  return {};
}
