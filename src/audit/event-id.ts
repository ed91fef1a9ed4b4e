import { randomUUID } from 'node:crypto';

/**
 * A new AuditEvent id: a UUID version 7 (RFC 9562), its first 48 bits the current time in milliseconds, the rest random.
 * Every audited read inserts its event's id into a B-tree index (`resource (type, id)`; `audit_chain (event_id)` until migration 211);
 * random (v4) ids put each insert on another leaf page, and the first change of a page after a checkpoint writes the
 * whole page to the WAL: ~20 KB of WAL per audited read, measured. Time-ordered ids go to the same few rightmost pages.
 * The time they show is the event's own `recorded` instant, readable by whoever may read the event.
 */
export function newEventId(now = Date.now()): string {
  const time = now.toString(16).padStart(12, '0');
  // randomUUID: xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx (V: the RFC variant); its random part after the version nibble is kept.
  return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${randomUUID().slice(15)}`;
}
