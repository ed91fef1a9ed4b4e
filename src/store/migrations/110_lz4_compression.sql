-- Large values (CDA bytes, long resource texts) are compressed with lz4 where the server supports it: it compresses
-- about as well as the default pglz at a fraction of its CPU, which an import pays for every document. PGlite
-- has no lz4 and keeps pglz; values already stored keep the method they were written with.
DO $$
BEGIN
  ALTER TABLE binary_data ALTER COLUMN data SET COMPRESSION lz4;
  ALTER TABLE resource ALTER COLUMN text SET COMPRESSION lz4;
  ALTER TABLE resource ALTER COLUMN content SET COMPRESSION lz4;
  ALTER TABLE resource_history ALTER COLUMN text SET COMPRESSION lz4;
  ALTER TABLE resource_history ALTER COLUMN content SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
  NULL;
END $$;
