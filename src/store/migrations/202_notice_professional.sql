-- The professional a first-access or emergency-access notice is about (his key: `urn:oid:1.2.250.1.71.4.2.1|<IdNat_PS>`
-- or `Practitioner/<id>`, as `notify_first_access.professional` and the documents' `authors`). The notice view
-- (`Communication?patient=`) hides such a notice from a legal representative when that professional wrote a document
-- of the record hidden from legal representatives (INVISIBLE_REPRESENTANTS_LEGAUX): the guardians are not sent it
-- (notify/outbox.ts), so they must not read it back either (attack sweep 5).
ALTER TABLE notify_outbox ADD COLUMN professional text;
-- Existing rows: the key of these kinds names the professional (`first-access:<patient>|<key>:…`,
-- `break-glass:<patient>:<key>:<session>:…`, `samu-access:…`).
UPDATE notify_outbox
   SET professional = substring(idempotency_key from '(urn:oid:1\.2\.250\.1\.71\.4\.2\.1\|[^:|]+|Practitioner/[^:|]+)')
 WHERE kind IN ('first-access', 'break-glass', 'samu-access');
