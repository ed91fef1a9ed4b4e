import type { GroupCommit } from '../../src/audit/group-commit';
import type { Hooks } from '../../src/fhir/context';
import type { ServerCounters } from './variant';

/** The group commit of the audit hooks among `hooks` (the composition keeps them among its others). */
function groupCommitOf(hooks: Hooks[]): GroupCommit<unknown> | undefined {
  const audit = hooks.find((h) => 'groupCommit' in h) as { groupCommit?: GroupCommit<unknown> } | undefined;
  return audit?.groupCommit;
}

/** A server's `counters`: the audit group commit's flushes, events and time spent flushing. */
export function auditCounters(hooks: Hooks[]): (() => ServerCounters) | undefined {
  const groupCommit = groupCommitOf(hooks);
  if (!groupCommit) return undefined;
  return () => ({ auditFlushes: groupCommit.stats.flushes, auditEvents: groupCommit.stats.items, auditFlushMs: groupCommit.stats.flushMs });
}
