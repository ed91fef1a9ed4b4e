import { CdaPlanWorkers, inlineReader } from '../cda/plan-workers';
import type { FhirService } from '../fhir/service';
import type { Wiring, WiringDeps } from '../wiring';
import { importOperations } from './import-operation';
import { cdaBinaryGuard } from './cda-binary-guard';
import { sourcePatientGuard } from './source-patient-guard';
import { documentKeyHooks } from './document-key';
import { documentsInterceptor } from './intercept';
import { replacementHooks } from './replacement';
import { directoryLookupHooks } from './submission-directory';
import { identityVerdictHooks } from './identity-verdict';
import { loadInsSystemsPolicy } from '../validation/ins-test-systems';

/**
 * Plugs document intake into the app: the CDA import operations, the request interceptor (ITI-65 CDA
 * extraction, ITI-105, TD3.3 metadata PATCH) and the replacement hook (TD2.1).
 */
export async function documentsWiring(
  deps: WiringDeps,
  /** The CDA worker pool (default: the configured one; a test may run its own worker script), closed with the app. */
  workers = CdaPlanWorkers.create(deps.config.cdaPlanWorkers, undefined, {
    jobTimeoutMs: deps.config.cdaJobTimeoutMs,
    queueLimit: deps.config.cdaQueueLimit,
    memoryMb: deps.config.cdaWorkerMemoryMb,
  }),
): Promise<Wiring> {
  let service: FhirService | undefined;
  // `$import` and the submissions (ITI-65, ITI-105) parse their CDA documents on the same workers, under the same limits.
  const reader = workers ?? inlineReader;
  // The INS systems this server accepts (the test and demo NIR are refused in production): CDA headers are held to them.
  const options = { maxCdaSize: deps.config.maxCdaSize, maxCdaMarkup: deps.config.cdaMarkupLimit, reader, insSystems: loadInsSystemsPolicy(deps.env) };
  return {
    operations: importOperations({ ...options, planner: reader.plan }),
    hooks: [documentsInterceptor(options), directoryLookupHooks(), replacementHooks(() => service), documentKeyHooks(), cdaBinaryGuard(), sourcePatientGuard(), identityVerdictHooks()],
    metrics: (metrics) => metrics.gauge('cda_queue_jobs', 'CDA documents waiting for or on the plan workers (CDA_QUEUE_LIMIT)', () => workers?.queued ?? 0),
    start: (svc) => {
      service = svc;
    },
    close: async () => {
      await workers?.close();
    },
  };
}
