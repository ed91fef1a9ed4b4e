import type { Wiring, WiringDeps } from '../wiring';

/** Plugs the documents module into the app (filled in when the module is integrated). */
export async function documentsWiring(deps: WiringDeps): Promise<Wiring> {
  void deps;
  return {};
}
