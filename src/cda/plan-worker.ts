import { parentPort } from 'node:worker_threads';
import { FhirError } from '../fhir/errors';
import { planCdaImport, type CdaPlanOptions } from './index';

/** Runs `planCdaImport` for `CdaPlanWorkers`: one message per document, answered with its plan or its error. */
export interface PlanRequest {
  id: number;
  bytes: Uint8Array;
  options: CdaPlanOptions;
}

/**
 * A plan travels as JSON text (it is plain JSON): the receiving thread parses it about 2.5 times faster than it
 * deserialises the structured clone of the same object, and that thread is the server's busiest.
 */
export type PlanAnswer =
  | { id: number; planJson: string }
  | { id: number; fhirError: { status: number; outcome: FhirError['outcome'] } }
  | { id: number; error: string };

parentPort?.on('message', (request: PlanRequest) => {
  let answer: PlanAnswer;
  try {
    const plan = planCdaImport(Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength), request.options);
    answer = { id: request.id, planJson: JSON.stringify(plan) };
  } catch (err) {
    answer = err instanceof FhirError ? { id: request.id, fhirError: { status: err.status, outcome: err.outcome } } : { id: request.id, error: (err as Error).message };
  }
  parentPort?.postMessage(answer);
});
