import { FhirError, outcomeOf } from './errors';

/**
 * Bounds on the work one request may cause (issue 14: a 21 KB batch of 200 `$everything` entries answered 254 MB
 * and grew the server by 1.2 GB). Each is a configuration key (`config.ts`); the README lists them.
 */
export interface WorkLimits {
  /** Entries of one batch or transaction Bundle (→ 413). */
  maxBundleEntries: number;
  /** Bytes of one answer: a batch stops as soon as its entries pass it (→ 422 too-costly). */
  maxResponseBytes: number;
  /** Largest `_count` of `Patient/$everything` (a larger one is lowered to it, as search lowers `_count`). */
  maxEverythingCount: number;
  /** Resources `_include`/`_revinclude` may add to one page (→ 422 too-costly past it). */
  maxIncluded: number;
  /**
   * Patient records one search total may count. Each record a total counts is filed in that patient's trail (a count
   * tells what his record holds), so an unbounded total filed thousands of events, and as many first-access notices,
   * for one search: past it, `_summary=count` answers 422 too-costly and a page carries no total (a warning says why).
   */
  maxCountedRecords: number;
}

/** The defaults of `config.ts`, also used by apps built without configuration (tests of the bare core). */
export const DEFAULT_LIMITS: WorkLimits = {
  maxBundleEntries: 1000,
  maxResponseBytes: 32 * 1024 ** 2,
  maxEverythingCount: 200,
  maxIncluded: 1000,
  maxCountedRecords: 200,
};

/** 422 `too-costly`: the request is well formed but asks for more work than the server's limits allow. */
export function tooCostly(text: string): FhirError {
  return new FhirError(422, outcomeOf('error', 'too-costly', text));
}

/** Throws 422 too-costly when an answer of `bytes` would pass the response limit. */
export function assertResponseSize(bytes: number, limits: WorkLimits): void {
  if (bytes > limits.maxResponseBytes) {
    throw tooCostly(`The answer would exceed ${limits.maxResponseBytes} bytes (MAX_RESPONSE_SIZE): ask for less (smaller _count, fewer entries, fewer _include)`);
  }
}
