import { parentPort } from 'node:worker_threads';
import { FhirError } from '../fhir/errors';
import { planCdaImport, type CdaParseOptions } from './index';

/** Runs `planCdaImport` for `CdaPlanWorkers`: one message per document, answered with its plan or its error. */
export interface PlanRequest {
  id: number;
  bytes: Uint8Array;
  options: CdaParseOptions;
}

export type PlanAnswer =
  | { id: number; plan: ReturnType<typeof planCdaImport> }
  | { id: number; fhirError: { status: number; outcome: FhirError['outcome'] } }
  | { id: number; error: string };

parentPort?.on('message', (request: PlanRequest) => {
  let answer: PlanAnswer;
  try {
    answer = { id: request.id, plan: planCdaImport(Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength), request.options) };
  } catch (err) {
    answer = err instanceof FhirError ? { id: request.id, fhirError: { status: err.status, outcome: err.outcome } } : { id: request.id, error: (err as Error).message };
  }
  parentPort?.postMessage(answer);
});
