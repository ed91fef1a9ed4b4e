import fs from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { FhirError, outcomeOf } from '../fhir/errors';
import { tooCostly } from '../fhir/limits';
import { readCdaHeader, type CdaHeaderRead } from './cda-header';
import type { CdaParseOptions } from './cda-parser';
import { planCdaImport, type CdaImportPlan, type CdaPlanOptions } from './index';
import type { PlanAnswer, PlanRequest } from './plan-worker';

const MAX_FAILURES = 3;

/** Maps CDA bytes to an import plan (parse + map: `planCdaImport`). */
export type CdaPlanner = (bytes: Buffer, options: CdaPlanOptions) => Promise<CdaImportPlan>;

/** Reads a CDA document's root and header patient (parse: `readCdaHeader`), for a submission that does not map it. */
export type CdaHeaderReader = (bytes: Buffer, options: CdaParseOptions) => Promise<CdaHeaderRead>;

/**
 * Every parse of a received CDA document a request needs: the import's and the submissions' (ITI-65, ITI-105) alike,
 * so that a hostile document gets the same answers (413, 422 too-costly, 503) whichever way it comes in.
 */
export interface CdaReader {
  plan: CdaPlanner;
  header: CdaHeaderReader;
}

/** The planner that runs on the calling thread. */
export const inlinePlanner: CdaPlanner = async (bytes, options) => planCdaImport(bytes, options);

/** The reader that runs on the calling thread (`CDA_PLAN_WORKERS=0`, or no worker script to run: tests under Jest). */
export const inlineReader: CdaReader = { plan: inlinePlanner, header: async (bytes, options) => readCdaHeader(bytes, options) };

/** The worker script beside this module: compiled JavaScript, or TypeScript when tsx loads this process. */
function workerScript(): string | undefined {
  const js = path.join(__dirname, 'plan-worker.js');
  if (fs.existsSync(js)) return js;
  const ts = path.join(__dirname, 'plan-worker.ts');
  return fs.existsSync(ts) && process.execArgv.join(' ').includes('tsx') ? ts : undefined;
}

interface Pending {
  resolve: (answer: unknown) => void;
  reject: (err: Error) => void;
  timer?: NodeJS.Timeout;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Terminated on purpose (a job over its time): its exit is not a failure, its replacement already runs. */
  retired?: boolean;
}

/** Bounds of the pool (CDA_JOB_TIMEOUT_MS, CDA_QUEUE_LIMIT). */
export interface PlanWorkerLimits {
  /** Longest a job may take; the worker running it is then terminated and replaced. */
  jobTimeoutMs?: number;
  /** Jobs waiting for or on the workers; one more is refused with 503 + Retry-After (back-pressure). */
  queueLimit?: number;
  /**
   * Old-generation heap of each worker, MB (`resourceLimits.maxOldGenerationSizeMb`): a document whose parsing and
   * mapping needs more ends its worker (422 for it) instead of growing the server's memory until the host kills it.
   */
  memoryMb?: number;
}

const RETRY_AFTER_SECONDS = 2;

/** The 503 of a full queue, or of a job lost with a worker replaced for another's sake: the client retries. */
function busy(text: string): FhirError {
  return new FhirError(503, outcomeOf('error', 'transient', text), { 'Retry-After': String(RETRY_AFTER_SECONDS) });
}

/**
 * Parses and maps CDA documents on worker threads (and reads the header of those a submission keeps unmapped: the same
 * whole-document parse, under the same limits). Parsing and mapping a 50 KB lab report is ~2 ms of CPU (since the
 * one-pass XML reader), a third of what the rest of an import costs the server's one JavaScript thread; on its own
 * thread it runs beside the rest of the import (validation, indexing, the database). Jobs go to the worker with the fewest in flight; a worker that
 * dies fails its jobs (500) and is replaced.
 */
export class CdaPlanWorkers {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;
  /** Workers that died in a row without answering; past `MAX_FAILURES` the pool plans inline instead. */
  private failures = 0;
  private broken = false;

  private constructor(
    private readonly script: string,
    size: number,
    private readonly limits: PlanWorkerLimits,
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  /**
   * A pool of `size` workers (default: one per spare core, at most 4) running `script` (default: the one beside
   * this module, when this process can load it), or undefined when there is none to run.
   */
  static create(size = Math.min(4, availableParallelism() - 1), script = workerScript(), limits: PlanWorkerLimits = {}): CdaPlanWorkers | undefined {
    return script && size > 0 ? new CdaPlanWorkers(script, size, limits) : undefined;
  }

  /** Jobs waiting for or on the workers (the `cda_queue_jobs` metric). */
  get queued(): number {
    return this.slots.reduce((n, slot) => n + slot.pending.size, 0);
  }

  readonly plan: CdaPlanner = (bytes, options) => this.run<CdaImportPlan>('plan', bytes, options);

  readonly header: CdaHeaderReader = (bytes, options) => this.run<CdaHeaderRead>('header', bytes, options);

  private run<T>(kind: PlanRequest['kind'], bytes: Buffer, options: CdaPlanOptions): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.closed) return reject(new Error('CDA plan workers are closed'));
      if (this.broken) return resolve(inlineReader[kind](bytes, options) as Promise<T>);
      if (this.limits.queueLimit !== undefined && this.queued >= this.limits.queueLimit) {
        return reject(busy(`The CDA import queue is full (${this.limits.queueLimit} documents, CDA_QUEUE_LIMIT): retry later`));
      }
      const slot = this.slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
      const id = this.nextId++;
      const job: Pending = { resolve: resolve as (answer: unknown) => void, reject };
      if (this.limits.jobTimeoutMs) job.timer = setTimeout(() => this.expire(slot, id), this.limits.jobTimeoutMs);
      slot.pending.set(id, job);
      const request: PlanRequest = { id, kind, bytes: new Uint8Array(bytes), options };
      slot.worker.postMessage(request, [request.bytes.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const slot of this.slots) for (const job of slot.pending.values()) clearTimeout(job.timer);
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private spawn(): Slot {
    // Under tsx (development, benchmarks) the worker registers tsx itself: loader hooks do not reach workers.
    const resourceLimits = this.limits.memoryMb ? { maxOldGenerationSizeMb: this.limits.memoryMb } : undefined;
    const worker = this.script.endsWith('.ts')
      ? new Worker(`require('tsx/cjs/api').register(); require(${JSON.stringify(this.script)});`, { eval: true, resourceLimits })
      : new Worker(this.script, { resourceLimits });
    const slot: Slot = { worker, pending: new Map() };
    slot.worker.unref(); // an idle pool never keeps the process alive
    slot.worker.on('message', (answer: PlanAnswer) => {
      this.failures = 0;
      const job = slot.pending.get(answer.id);
      if (!job) return;
      slot.pending.delete(answer.id);
      clearTimeout(job.timer);
      if ('json' in answer) job.resolve(JSON.parse(answer.json));
      else if ('fhirError' in answer) job.reject(new FhirError(answer.fhirError.status, answer.fhirError.outcome));
      else job.reject(new Error(answer.error));
    });
    // Out of memory with no job (CDA_WORKER_MEMORY_MB too small to load the worker) is a failure to start like any other.
    slot.worker.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ERR_WORKER_OUT_OF_MEMORY' && slot.pending.size ? this.outOfMemory(slot) : this.replace(slot, err)));
    slot.worker.on('exit', (code) => {
      if (!slot.retired) this.replace(slot, new Error(`CDA plan worker exited with code ${code}`));
    });
    return slot;
  }

  /**
   * A job over CDA_JOB_TIMEOUT_MS: 422 for its document (it is the document that costs too much), and its worker,
   * still busy with it, is terminated and replaced; the other jobs it held get a 503 to retry.
   */
  private expire(slot: Slot, id: number): void {
    const job = slot.pending.get(id);
    if (!job) return;
    slot.pending.delete(id);
    job.reject(tooCostly(`Parsing and mapping this CDA document took longer than ${this.limits.jobTimeoutMs} ms (CDA_JOB_TIMEOUT_MS)`));
    slot.retired = true;
    for (const other of slot.pending.values()) {
      clearTimeout(other.timer);
      other.reject(busy('The CDA worker handling this document was restarted: retry'));
    }
    slot.pending.clear();
    void slot.worker.terminate();
    const index = this.slots.indexOf(slot);
    if (index >= 0 && !this.closed) this.slots[index] = this.spawn();
  }

  /**
   * A worker past its heap limit (CDA_WORKER_MEMORY_MB) is ended by V8: the job it was running (the oldest it held, since
   * a worker runs its jobs in turn) gets 422 too-costly, the jobs queued behind it 503 to retry. Its replacement does not
   * count as a worker failing to start: hostile documents in a row must not push the pool to plan on the request thread.
   */
  private outOfMemory(slot: Slot): void {
    slot.retired = true;
    const [running, ...queued] = slot.pending.values();
    slot.pending.clear();
    if (running) {
      clearTimeout(running.timer);
      running.reject(tooCostly(`Parsing and mapping this CDA document needs more memory than the ${this.limits.memoryMb} MB a worker may use (CDA_WORKER_MEMORY_MB)`));
    }
    for (const other of queued) {
      clearTimeout(other.timer);
      other.reject(busy('The CDA worker handling this document was restarted: retry'));
    }
    const index = this.slots.indexOf(slot);
    if (index >= 0 && !this.closed) this.slots[index] = this.spawn();
  }

  private replace(slot: Slot, err: Error): void {
    for (const job of slot.pending.values()) {
      clearTimeout(job.timer);
      job.reject(err);
    }
    slot.pending.clear();
    const index = this.slots.indexOf(slot);
    if (index < 0 || this.closed) return;
    if (++this.failures >= MAX_FAILURES) {
      // Workers that cannot even start (a broken install) must not be respawned forever.
      this.broken = true;
      return;
    }
    this.slots[index] = this.spawn();
  }
}
