-- A Consent period's end includes the whole day a date names (FHIR R4 Period; `access/consent-rules.ts` `periodBound`):
-- an authorisation "until 2026-12-31" lasts through that day, and so does a block. The rules written before were stored
-- with the end at the start of that day (the date read as an instant in the session's zone), so they stopped a day
-- early (attack sweep 8). This moves each such end — one stored at midnight whose Consent states that date as a period
-- end — to the last millisecond of that day in UTC, as written rules now are. The triggers on access_consent recompute
-- each record's summary.
UPDATE access_consent ac
SET period_end = ((to_char(ac.period_end, 'YYYY-MM-DD')::date + 1)::timestamp AT TIME ZONE 'UTC') - interval '1 millisecond'
FROM resource r
WHERE r.type = 'Consent' AND r.id = ac.consent_id AND NOT r.deleted AND r.text IS NOT NULL
  AND ac.period_end IS NOT NULL
  AND ac.period_end = to_char(ac.period_end, 'YYYY-MM-DD')::date::timestamptz
  AND jsonb_path_exists(r.text::jsonb, 'lax $.provision.**.period.end ? (@ == $d)', jsonb_build_object('d', to_char(ac.period_end, 'YYYY-MM-DD')));
