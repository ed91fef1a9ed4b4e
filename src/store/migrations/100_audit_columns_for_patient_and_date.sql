-- AuditEvent `patient` and `date` searches read the row's compartment and last_updated columns (the audit
-- writer stopped writing index rows for them): the rows written before are never read again.
DELETE FROM idx_reference WHERE type = 'AuditEvent' AND param = 'patient';
DELETE FROM idx_date WHERE type = 'AuditEvent' AND param = 'date';
