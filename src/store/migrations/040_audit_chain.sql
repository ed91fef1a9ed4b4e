-- Audit trail. AuditEvents are ordinary `AuditEvent` rows of `resource` (compartment = the patient whose
-- record was touched), so the core's search, paging and access filter serve them unchanged. This table
-- holds their hash chain: one chain per patient compartment ('' for events that touch no patient), so
-- concurrent requests on different patients never wait on one global lock, a chain can be verified
-- per patient, and the chain shards with the rest of the patient's rows.
CREATE TABLE audit_chain (
  chain     text        NOT NULL,
  seq       bigint      NOT NULL,
  event_id  text        NOT NULL,
  recorded  timestamptz NOT NULL,
  prev_hash text        NOT NULL,
  hash      text        NOT NULL,
  PRIMARY KEY (chain, seq)
);
CREATE INDEX audit_chain_event ON audit_chain (event_id);

-- Head of each chain: locked (row lock) by the writer until its transaction commits, which orders the
-- events of one patient. It is the only audit table that accepts UPDATE.
CREATE TABLE audit_chain_head (
  chain text   PRIMARY KEY,
  seq   bigint NOT NULL,
  hash  text   NOT NULL
);

-- Append-only: the database itself refuses to change or remove audit rows, whoever asks.
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit records are append-only (% on %)', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_chain_append_only
  BEFORE UPDATE OR DELETE ON audit_chain
  FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_chain_no_truncate
  BEFORE TRUNCATE ON audit_chain
  FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();

CREATE TRIGGER resource_audit_append_only
  BEFORE UPDATE OR DELETE ON resource
  FOR EACH ROW WHEN (OLD.type = 'AuditEvent') EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER resource_history_audit_append_only
  BEFORE UPDATE OR DELETE ON resource_history
  FOR EACH ROW WHEN (OLD.type = 'AuditEvent') EXECUTE FUNCTION audit_refuse_change();
