-- Document intake ledger: one row per imported CDA document (keyed by its masterIdentifier), so that re-sending
-- the same document is answered from here (200, same resources) and the same id with other bytes is a 409.
-- The primary key also serialises two concurrent imports of one document: the second waits, then sees the first.
CREATE TABLE IF NOT EXISTS document_intake (
  master_system text NOT NULL,
  master_value text NOT NULL,
  sha1 text NOT NULL,
  size bigint NOT NULL,
  document_reference_id text,
  resources jsonb NOT NULL DEFAULT '[]'::jsonb,
  imported_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (master_system, master_value)
);
