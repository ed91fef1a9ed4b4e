-- Who wrote each clinical and record row (issue 11, DESIGN §5 "Provenance"), recorded from the token at create by
-- the access module's afterWrite (access/provenance.ts), in the write transaction: `kind` practitioner | patient |
-- system | server, `keys` the writer's keys (identifier keys, `Patient/<id>`, `system|<client id>`) plus a
-- DocumentReference's author keys. Changing or deleting a row is for its writer. Kept when the row is deleted; a
-- new create of the same id records its own writer.
CREATE TABLE IF NOT EXISTS access_writer (
  type text NOT NULL,
  id   text NOT NULL,
  kind text NOT NULL CHECK (kind IN ('practitioner', 'patient', 'system', 'server')),
  keys text[] NOT NULL DEFAULT '{}',
  PRIMARY KEY (type, id)
);

-- Rows written before this table: only a DocumentReference's authors can be derived (the `authors` column); every
-- other row stays without a writer, which only the patient may change (fail closed).
INSERT INTO access_writer (type, id, kind, keys)
SELECT r.type, r.id, 'practitioner', r.authors
FROM resource r
WHERE r.type = 'DocumentReference' AND NOT r.deleted AND cardinality(r.authors) > 0
ON CONFLICT (type, id) DO NOTHING;
