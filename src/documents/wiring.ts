import type { Wiring, WiringDeps } from '../wiring';
import { importOperations } from './import-operation';

/** Plugs document intake into the app: the CDA import operations. */
export async function documentsWiring(deps: WiringDeps): Promise<Wiring> {
  return {
    operations: importOperations({ maxCdaSize: deps.config.maxCdaSize }),
  };
}
