-- Plain partners read a flag's explanation without numbers that rest on fewer answers than the
-- minimum group size; the workers write both versions.
ALTER TABLE risk_flags ADD COLUMN partner_explanation text NOT NULL DEFAULT ''
    CHECK (length(partner_explanation) <= 2000);
ALTER TABLE risk_flags ADD COLUMN acknowledged_by bigint REFERENCES api_tokens ON DELETE SET NULL;
