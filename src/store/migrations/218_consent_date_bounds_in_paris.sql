-- A Consent period bound written as a date, a month or a year names that unit in Europe/Paris (`access/paris-calendar.ts`
-- `parisPeriodBound`): a patient blocking Dr X "jusqu'au 7 décembre" means until midnight in France, not in UTC. Rules
-- stored before were given UTC bounds (migration 216 and the code of sweep 8): a block "until today" still held until
-- 01:00 or 02:00 Paris time the next day, and a start "from the 8th" began an hour or two late. This moves each bound
-- still at its UTC reading of a partial date that the Consent states — the end to the millisecond before the next Paris
-- midnight, the start to Paris midnight. A dateTime bound is untouched (it never equals a UTC reading unless written as
-- one at that very instant, and then it is the Consent's own date too). The triggers on access_consent recompute each
-- record's summary.
-- Both sides are read once, into a temporary table dropped at the end.
CREATE TEMP TABLE consent_partial_bound AS
WITH bound(consent_id, side, v) AS (
  SELECT r.id, side, b #>> '{}'
  FROM resource r
  CROSS JOIN (VALUES ('start'), ('end')) AS sides(side)
  CROSS JOIN LATERAL jsonb_path_query(r.text::jsonb, CASE side WHEN 'start' THEN 'lax $.provision.**.period.start' ELSE 'lax $.provision.**.period.end' END::jsonpath) b
  WHERE r.type = 'Consent' AND NOT r.deleted AND r.text IS NOT NULL
)
-- Day arithmetic rather than a cast of the whole value, so that a day no month has (2026-02-30) fails no migration.
SELECT DISTINCT consent_id, side, first_day,
  CASE length(v) WHEN 4 THEN (first_day + interval '1 year')::date WHEN 7 THEN (first_day + interval '1 month')::date ELSE first_day + 1 END AS next_day
FROM (
  SELECT consent_id, side, v, (substr(v, 1, 4) || '-' || coalesce(nullif(substr(v, 6, 2), ''), '01') || '-01')::date
    + CASE WHEN length(v) = 10 THEN substr(v, 9, 2)::int - 1 ELSE 0 END AS first_day
  FROM bound WHERE v ~ '^[0-9]{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12][0-9]|3[01]))?)?$' AND v !~ '^0000'
) d;

UPDATE access_consent ac
SET period_end = (u.next_day::timestamp AT TIME ZONE 'Europe/Paris') - interval '1 millisecond'
FROM consent_partial_bound u
WHERE u.side = 'end' AND u.consent_id = ac.consent_id AND ac.period_end = (u.next_day::timestamp AT TIME ZONE 'UTC') - interval '1 millisecond';

UPDATE access_consent ac
SET period_start = u.first_day::timestamp AT TIME ZONE 'Europe/Paris'
FROM consent_partial_bound u
WHERE u.side = 'start' AND u.consent_id = ac.consent_id AND ac.period_start = u.first_day::timestamp AT TIME ZONE 'UTC';

DROP TABLE consent_partial_bound;
