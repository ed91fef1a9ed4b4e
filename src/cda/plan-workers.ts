import fs from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { FhirError } from '../fhir/errors';
import { planCdaImport, type CdaImportPlan, type CdaParseOptions } from './index';
import type { PlanAnswer, PlanRequest } from './plan-worker';

const MAX_FAILURES = 3;

/** Maps CDA bytes to an import plan (parse + map: `planCdaImport`). */
export type CdaPlanner = (bytes: Buffer, options: CdaParseOptions) => Promise<CdaImportPlan>;

/** The planner that runs on the calling thread. */
export const inlinePlanner: CdaPlanner = async (bytes, options) => planCdaImport(bytes, options);

/** The worker script beside this module: compiled JavaScript, or TypeScript when tsx loads this process. */
function workerScript(): string | undefined {
  const js = path.join(__dirname, 'plan-worker.js');
  if (fs.existsSync(js)) return js;
  const ts = path.join(__dirname, 'plan-worker.ts');
  return fs.existsSync(ts) && process.execArgv.join(' ').includes('tsx') ? ts : undefined;
}

interface Pending {
  resolve: (plan: CdaImportPlan) => void;
  reject: (err: Error) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
}

/**
 * Parses and maps CDA documents on worker threads. Parsing a 50 KB lab report is ~3 ms of CPU, a quarter of
 * what an import costs the server's one JavaScript thread; on its own thread it runs beside the rest of the
 * import (validation, indexing, the database). Jobs go to the worker with the fewest in flight; a worker that
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
  ) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  /**
   * A pool of `size` workers (default: one per spare core, at most 4) running `script` (default: the one beside
   * this module, when this process can load it), or undefined when there is none to run.
   */
  static create(size = Math.min(4, availableParallelism() - 1), script = workerScript()): CdaPlanWorkers | undefined {
    return script && size > 0 ? new CdaPlanWorkers(script, size) : undefined;
  }

  readonly plan: CdaPlanner = (bytes, options) =>
    new Promise<CdaImportPlan>((resolve, reject) => {
      if (this.closed) return reject(new Error('CDA plan workers are closed'));
      if (this.broken) return resolve(inlinePlanner(bytes, options));
      const slot = this.slots.reduce((a, b) => (b.pending.size < a.pending.size ? b : a));
      const id = this.nextId++;
      slot.pending.set(id, { resolve, reject });
      const request: PlanRequest = { id, bytes: new Uint8Array(bytes), options };
      slot.worker.postMessage(request, [request.bytes.buffer as ArrayBuffer]);
    });

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private spawn(): Slot {
    // Under tsx (development, benchmarks) the worker registers tsx itself: loader hooks do not reach workers.
    const worker = this.script.endsWith('.ts')
      ? new Worker(`require('tsx/cjs/api').register(); require(${JSON.stringify(this.script)});`, { eval: true })
      : new Worker(this.script);
    const slot: Slot = { worker, pending: new Map() };
    slot.worker.unref(); // an idle pool never keeps the process alive
    slot.worker.on('message', (answer: PlanAnswer) => {
      this.failures = 0;
      const job = slot.pending.get(answer.id);
      if (!job) return;
      slot.pending.delete(answer.id);
      if ('planJson' in answer) job.resolve(JSON.parse(answer.planJson) as CdaImportPlan);
      else if ('fhirError' in answer) job.reject(new FhirError(answer.fhirError.status, answer.fhirError.outcome));
      else job.reject(new Error(answer.error));
    });
    slot.worker.on('error', (err) => this.replace(slot, err));
    slot.worker.on('exit', (code) => this.replace(slot, new Error(`CDA plan worker exited with code ${code}`)));
    return slot;
  }

  private replace(slot: Slot, err: Error): void {
    for (const job of slot.pending.values()) job.reject(err);
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
