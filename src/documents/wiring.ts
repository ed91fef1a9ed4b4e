import { CdaPlanWorkers } from '../cda/plan-workers';
import type { FhirService } from '../fhir/service';
import type { Wiring, WiringDeps } from '../wiring';
import { importOperations } from './import-operation';
import { documentKeyHooks } from './document-key';
import { documentsInterceptor } from './intercept';
import { replacementHooks } from './replacement';

/**
 * Plugs document intake into the app: the CDA import operations, the request interceptor (ITI-65 CDA
 * extraction, ITI-105, TD3.3 metadata PATCH) and the replacement hook (TD2.1).
 */
export async function documentsWiring(deps: WiringDeps): Promise<Wiring> {
  let service: FhirService | undefined;
  const options = { maxCdaSize: deps.config.maxCdaSize };
  const workers = CdaPlanWorkers.create(deps.config.cdaPlanWorkers);
  return {
    operations: importOperations({ ...options, planner: workers?.plan }),
    hooks: [documentsInterceptor(options), replacementHooks(() => service), documentKeyHooks()],
    start: (svc) => {
      service = svc;
    },
    close: async () => {
      await workers?.close();
    },
  };
}
