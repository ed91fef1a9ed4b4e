-- The audit writer appends a batch of read events in one statement, chaining them from chain heads it keeps
-- in memory. The statement advances each head only where it still is what the writer expected, and this
-- function makes it fail (SQLSTATE DA001) when one was not: another writer moved it meanwhile, and the writer
-- reloads the head and builds the batch again. Nothing of a failed statement is kept.
CREATE FUNCTION audit_expect_heads(advanced bigint, expected bigint) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  IF advanced <> expected THEN
    RAISE EXCEPTION 'audit chain head moved (% of % heads advanced)', advanced, expected USING ERRCODE = 'DA001';
  END IF;
  RETURN true;
END;
$$;

-- AuditEvents are immutable at version 1: their only version is the current row, which the core's vread and
-- history read in place of a history row (see store/history-source.ts). Rows written by earlier versions
-- stay, unread.
