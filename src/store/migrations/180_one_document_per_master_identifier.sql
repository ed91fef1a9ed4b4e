-- One DocumentReference per document id (issue 13 item 8), whatever the channel ($import, ITI-65, ITI-105), enforced
-- by the database: `document_master` holds each document's canonical id (documents/document-key.ts: `urn:oid:<root>`,
-- `urn:oid:<root>^<extension>`, `urn:uuid:<uuid>`, else `<system>|<value>`) once, with the DocumentReference that
-- carries it. The documents module's afterWrite keeps it in step inside the write transaction: two concurrent
-- submissions of one document meet on the primary key, and the second is answered as a re-submission (or 409).
-- A deleted DocumentReference frees its id; a superseded one keeps it (its replacement has its own id).
CREATE TABLE document_master (
  key         text PRIMARY KEY,
  document_id text NOT NULL
);
CREATE INDEX document_master_document ON document_master (document_id);

-- Existing documents: the oldest holder of each id keeps it; later duplicates stay as they are, unlisted.
INSERT INTO document_master (key, document_id)
SELECT DISTINCT ON (key) key, id FROM (
  SELECT CASE
           WHEN content #>> '{masterIdentifier,system}' = 'urn:ietf:rfc:3986' THEN content #>> '{masterIdentifier,value}'
           WHEN content #>> '{masterIdentifier,system}' LIKE 'urn:oid:%' THEN (content #>> '{masterIdentifier,system}') || '^' || (content #>> '{masterIdentifier,value}')
           ELSE (content #>> '{masterIdentifier,system}') || '|' || (content #>> '{masterIdentifier,value}')
         END AS key, id, last_updated
    FROM resource
   WHERE type = 'DocumentReference' AND NOT deleted AND content #>> '{masterIdentifier,value}' IS NOT NULL
) AS d
ORDER BY key, last_updated, id
ON CONFLICT DO NOTHING;
