import { parentPort } from 'node:worker_threads';
import { FhirError } from '../fhir/errors';
import { readCdaHeader } from './cda-header';
import { planCdaImport, type CdaPlanOptions } from './index';

/**
 * One job of `CdaPlanWorkers`: `plan` runs `planCdaImport` (parse + map), `header` runs `readCdaHeader` (parse, then the
 * root and the header's patient: what a submission reads of a CDA it does not map). Both parse the whole document, so
 * both run here, under the worker's heap limit and the job timeout.
 */
export interface PlanRequest {
  id: number;
  kind: 'plan' | 'header';
  bytes: Uint8Array;
  options: CdaPlanOptions;
}

/**
 * An answer travels as JSON text (it is plain JSON): the receiving thread parses it about 2.5 times faster than it
 * deserialises the structured clone of the same object, and that thread is the server's busiest.
 */
export type PlanAnswer =
  | { id: number; json: string }
  | { id: number; fhirError: { status: number; outcome: FhirError['outcome'] } }
  | { id: number; error: string };

parentPort?.on('message', (request: PlanRequest) => {
  let answer: PlanAnswer;
  try {
    const bytes = Buffer.from(request.bytes.buffer, request.bytes.byteOffset, request.bytes.byteLength);
    const result = request.kind === 'header' ? readCdaHeader(bytes, request.options) : planCdaImport(bytes, request.options);
    answer = { id: request.id, json: JSON.stringify(result) };
  } catch (err) {
    answer = err instanceof FhirError ? { id: request.id, fhirError: { status: err.status, outcome: err.outcome } } : { id: request.id, error: (err as Error).message };
  }
  parentPort?.postMessage(answer);
});
