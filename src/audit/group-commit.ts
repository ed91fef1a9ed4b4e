/** Flushes one batch durably (one transaction); resolves only after COMMIT. */
export type FlushBatch<T> = (items: T[]) => Promise<void>;

interface Waiter<T> {
  items: T[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Group commit: while one batch is being committed, every item submitted meanwhile waits in the queue,
 * and the next flush writes all of them in one transaction. Under load the cost of a COMMIT (and of its
 * fsync) is shared by many requests; when idle an item is written at once (no timer, no added latency).
 * Each submit resolves when its items are durable, or rejects: a request never answers before its audit.
 */
export class GroupCommit<T> {
  private queue: Waiter<T>[] = [];
  private readonly running = new Set<Promise<void>>();
  /** Drains in progress, counted synchronously: one that just saw an empty queue is no longer counted. */
  private active = 0;
  /**
   * Flushes done, items written and the time spent flushing (ms, summed over flushes in flight), for tests and metrics:
   * a request waits for the rest of the flush in flight and then for its own, so the mean flush time bounds the
   * throughput of the audited reads (items per flush / flush time), whatever the CPU.
   */
  readonly stats = { flushes: 0, items: 0, largestBatch: 0, flushMs: 0 };

  /**
   * `concurrency` flushes may be in flight at once (each on its own connection): when a COMMIT's latency, not
   * its work, bounds throughput, the next batch need not wait for the previous one. Writers that lock rows
   * must lock them in a stable order (the audit writer sorts chain heads) so that concurrent flushes never
   * deadlock.
   */
  constructor(
    private readonly flush: FlushBatch<T>,
    private readonly maxBatch = 500,
    private readonly concurrency = 1,
  ) {}

  /** Items waiting for a flush (the `audit_queue_events` metric). */
  get waiting(): number {
    return this.queue.reduce((n, w) => n + w.items.length, 0);
  }

  /** Queues items; the promise settles when they are committed. */
  submit(items: T[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ items, resolve, reject });
      if (this.active < this.concurrency) {
        this.active++;
        const drain = this.drain();
        this.running.add(drain);
        void drain.finally(() => this.running.delete(drain));
      }
    });
  }

  /** Waits until everything submitted so far is committed (or failed). */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private takeBatch(): Waiter<T>[] {
    const batch: Waiter<T>[] = [];
    let size = 0;
    while (this.queue.length > 0 && (batch.length === 0 || size + this.queue[0].items.length <= this.maxBatch)) {
      const waiter = this.queue.shift() as Waiter<T>;
      batch.push(waiter);
      size += waiter.items.length;
    }
    return batch;
  }

  private async drain(): Promise<void> {
    // Let the requests already in flight in this turn of the event loop join the first batch.
    try {
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.queue.length > 0) {
        const batch = this.takeBatch();
        await this.flushBatch(batch);
      }
    } finally {
      // No await between the last look at the queue and this: a submit arriving now starts a new drain.
      this.active--;
    }
  }

  private async flushBatch(batch: Waiter<T>[]): Promise<void> {
    const items = batch.flatMap((w) => w.items);
    const started = performance.now();
    try {
      await this.flush(items);
      this.record(items.length);
      batch.forEach((w) => w.resolve());
    } catch (err) {
      if (batch.length === 1) return batch[0].reject(err);
      // One bad item must not fail its neighbours: retry each request's items on its own.
      for (const waiter of batch) {
        try {
          await this.flush(waiter.items);
          this.record(waiter.items.length);
          waiter.resolve();
        } catch (own) {
          waiter.reject(own);
        }
      }
    } finally {
      this.stats.flushMs += performance.now() - started;
    }
  }

  private record(count: number): void {
    this.stats.flushes++;
    this.stats.items += count;
    this.stats.largestBatch = Math.max(this.stats.largestBatch, count);
  }
}
