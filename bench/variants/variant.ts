import type { RequestListener } from 'node:http';
import type { Dataset } from '../dataset';

/** A server under test, built inside its own child process. */
export interface BenchServer {
  handler: RequestListener;
  close(): Promise<void>;
  /** Counters that grow while it serves (e.g. the audit group commit's), read before and after each round. */
  counters?(): ServerCounters;
}

/** The audit group commit's counters (`GroupCommit.stats`): where an audited read waits. */
export interface ServerCounters {
  auditFlushes: number;
  auditEvents: number;
  auditFlushMs: number;
}

/**
 * One way of serving the two measured requests (`GET /fhir/Patient/{id}` and
 * `GET /fhir/DocumentReference?patient={id}&_count=20`). Add a variant (access control on, audit on …) by
 * writing a module beside this one and listing it in `variants/index.ts`.
 */
export interface BenchVariant {
  name: string;
  description: string;
  /** Builds the server (runs in the child process; the load generator stays in the parent). */
  build(databaseUrl: string): Promise<BenchServer>;
  /** Runs once in the parent after seeding, before any server starts (e.g. writes consents, practitioners). */
  prepare?(databaseUrl: string, dataset: Dataset): Promise<void>;
  /**
   * How this variant's answers relate to the baseline's: the same (default), or a subset in the same order for a
   * caller who may not see everything (the reason is printed). Any other difference fails the bench.
   */
  answers?: { subset: string };
  /** Runs in the parent before the load: returns the headers of a request for a patient (e.g. a bearer token). */
  requestHeaders?(databaseUrl: string, dataset: Dataset): Promise<(patientId: string) => Record<string, string>>;
}
