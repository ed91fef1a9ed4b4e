-- Index rows no longer carry a foreign key to their resource row. Every index row is written by the statement
-- that writes its resource row (write-sql.ts, batch-write-sql.ts, the audit writer), which also removes the rows
-- of the version it replaces; resource rows are never deleted (a deletion is a tombstone version). The key
-- checked nothing those statements do not already guarantee, and it cost, for every index row, a trigger that
-- looks the resource row up and locks it: about a tenth of PostgreSQL's time on a CDA import (254 index rows per
-- lab report) and on each audited read (5–6 index rows per AuditEvent).
ALTER TABLE idx_token DROP CONSTRAINT IF EXISTS idx_token_rid_fkey;
ALTER TABLE idx_string DROP CONSTRAINT IF EXISTS idx_string_rid_fkey;
ALTER TABLE idx_date DROP CONSTRAINT IF EXISTS idx_date_rid_fkey;
ALTER TABLE idx_reference DROP CONSTRAINT IF EXISTS idx_reference_rid_fkey;
ALTER TABLE idx_quantity DROP CONSTRAINT IF EXISTS idx_quantity_rid_fkey;
