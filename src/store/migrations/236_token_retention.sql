-- Issue 14, retention: the pruning job (src/smart/token-retention.ts) deletes the cut-offs no live token can meet any
-- more and the refresh families that can give nothing, hourly, in batches taken oldest first. Without these indexes
-- each batch read the whole table.
CREATE INDEX token_cutoff_cut_at ON token_cutoff (cut_at);
CREATE INDEX smart_refresh_family_revoked_at ON smart_refresh_family (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX smart_refresh_family_created_at ON smart_refresh_family (created_at) WHERE revoked_at IS NULL;
