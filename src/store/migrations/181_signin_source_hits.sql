-- The per-address sign-in throttle's counts (issue 12, `auth/source-hits.ts`), shared by every server process on this
-- database: one row per client address (express-rate-limit's key), its failed sign-in steps in the current window and
-- when that window ends. A fixed window, as express-rate-limit's memory store: it starts at the first hit after the
-- previous one ended. A row whose window ended answers as no row, so the purge job deletes it.
CREATE TABLE signin_source_hit (
  key text PRIMARY KEY,
  hits integer NOT NULL,
  reset_at timestamptz NOT NULL
);
CREATE INDEX signin_source_hit_reset_at ON signin_source_hit (reset_at);
