-- `audit_chain (event_id)` was read only by `$verify`'s check for events stored outside their chain, which now compares
-- the events with the chain rows as two sets (`audit/verify-chain.ts`). Every audited read paid one b-tree entry in it.
DROP INDEX IF EXISTS audit_chain_event;
