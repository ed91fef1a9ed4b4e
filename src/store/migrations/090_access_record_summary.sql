-- A record's consent rules, summarised on its access_record row, so that the access predicate reads one row
-- per record instead of aggregating access_consent for every row a search returns (measured: the aggregate and
-- the second probe cost more PostgreSQL time than the search itself). access_consent stays the source; these
-- columns are derived from it by triggers, inside the statement that changes it.
--   opened:    an opening consent is active;
--   permitted / denied: actor keys of permit / deny rules without a period (rules with a period set `timed`,
--              and the predicate checks them against access_consent at the request's instant);
--   masked:    DocumentReference ids the patient masked;
--   refused:   emergency purposes refused in advance (BTG, ETREAT).
ALTER TABLE access_record
  ADD COLUMN opened    boolean NOT NULL DEFAULT false,
  ADD COLUMN permitted text[]  NOT NULL DEFAULT '{}',
  ADD COLUMN denied    text[]  NOT NULL DEFAULT '{}',
  ADD COLUMN timed     boolean NOT NULL DEFAULT false,
  ADD COLUMN masked    text[]  NOT NULL DEFAULT '{}',
  ADD COLUMN refused   text[]  NOT NULL DEFAULT '{}';

CREATE FUNCTION access_summary_of(p text, OUT opened boolean, OUT permitted text[], OUT denied text[],
    OUT timed boolean, OUT masked text[], OUT refused text[]) LANGUAGE sql STABLE AS $$
  SELECT coalesce(bool_or(kind = 'open'), false),
         coalesce(array_agg(actor_key) FILTER (WHERE kind = 'permit' AND actor_key IS NOT NULL AND period_start IS NULL AND period_end IS NULL), '{}'),
         coalesce(array_agg(actor_key) FILTER (WHERE kind = 'deny' AND actor_key IS NOT NULL AND period_start IS NULL AND period_end IS NULL), '{}'),
         coalesce(bool_or(kind IN ('permit', 'deny') AND (period_start IS NOT NULL OR period_end IS NOT NULL)), false),
         coalesce(array_agg(doc_id) FILTER (WHERE kind = 'mask' AND doc_id IS NOT NULL), '{}'),
         coalesce(array_agg(purpose) FILTER (WHERE kind = 'refuse' AND purpose IS NOT NULL), '{}')
    FROM access_consent WHERE patient_id = p
$$;

-- A record row written after its consents (the Patient stored after its Consent) starts from them.
CREATE FUNCTION access_record_summarise() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT s.opened, s.permitted, s.denied, s.timed, s.masked, s.refused
    INTO NEW.opened, NEW.permitted, NEW.denied, NEW.timed, NEW.masked, NEW.refused
    FROM access_summary_of(NEW.patient_id) s;
  RETURN NEW;
END $$;
CREATE TRIGGER access_record_summarise BEFORE INSERT ON access_record
  FOR EACH ROW EXECUTE FUNCTION access_record_summarise();

-- After any change to access_consent, the summaries of the records it touched are recomputed. The rows are
-- locked first, in a statement of their own: a concurrent consent write for the same record waits for it, and
-- the recomputation, a later statement, then sees what that write committed.
CREATE FUNCTION access_consent_resummarise() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  touched text[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(DISTINCT patient_id) INTO touched FROM new_rules;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(DISTINCT patient_id) INTO touched FROM old_rules;
  ELSE
    SELECT array_agg(DISTINCT patient_id) INTO touched FROM (SELECT patient_id FROM new_rules UNION SELECT patient_id FROM old_rules) t;
  END IF;
  IF touched IS NULL THEN RETURN NULL; END IF;
  PERFORM 1 FROM access_record WHERE patient_id = ANY(touched) ORDER BY patient_id FOR UPDATE;
  UPDATE access_record a SET (opened, permitted, denied, timed, masked, refused) =
      (SELECT s.opened, s.permitted, s.denied, s.timed, s.masked, s.refused FROM access_summary_of(a.patient_id) s)
    WHERE a.patient_id = ANY(touched);
  RETURN NULL;
END $$;
CREATE TRIGGER access_consent_inserted AFTER INSERT ON access_consent
  REFERENCING NEW TABLE AS new_rules FOR EACH STATEMENT EXECUTE FUNCTION access_consent_resummarise();
CREATE TRIGGER access_consent_updated AFTER UPDATE ON access_consent
  REFERENCING NEW TABLE AS new_rules OLD TABLE AS old_rules FOR EACH STATEMENT EXECUTE FUNCTION access_consent_resummarise();
CREATE TRIGGER access_consent_deleted AFTER DELETE ON access_consent
  REFERENCING OLD TABLE AS old_rules FOR EACH STATEMENT EXECUTE FUNCTION access_consent_resummarise();

UPDATE access_record a SET (opened, permitted, denied, timed, masked, refused) =
    (SELECT s.opened, s.permitted, s.denied, s.timed, s.masked, s.refused FROM access_summary_of(a.patient_id) s);
