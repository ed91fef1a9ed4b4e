-- AuditEvents leave `resource_type_updated` (type, last_updated, id): every audited read paid one b-tree entry in it,
-- and nothing reads events through it. A trail is read within its records (`resource_compartment`: the access predicate
-- gives a patient or guardian his records' events only, professionals none), `$verify` walks `audit_chain`, and the purge
-- finds a record's rows by compartment. Searches write their type as a literal (`kernel/sql.ts` `name`), so the planner
-- proves that any other type's search matches this predicate, generic plans included. Built before the old one is
-- dropped, so no statement runs without an index meanwhile (the statement blocks writes to `resource` while it builds).
CREATE INDEX resource_type_updated_live ON resource (type, last_updated, id) WHERE NOT deleted AND type <> 'AuditEvent';
DROP INDEX resource_type_updated;
ALTER INDEX resource_type_updated_live RENAME TO resource_type_updated;
