-- A flag's explanation in every language the rules speak, keyed by language ({"en": …, "de": …}; English
-- always): a further language is one more catalogue of templates (domain/explanations/), no new column.
-- `explanation` and `explanation_de` stay, computed from it, for the SQL that reads them by name.
-- Plain partners have flags of their own since 0012 (audience PARTNERS, computed from released values), so
-- the partner versions of the explanations were read by nothing: they go.
-- every language's text is a string of 1 to 2000 characters, and English is there
CREATE FUNCTION flag_explanations_valid(explanations jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_typeof(explanations) = 'object' AND explanations ? 'en' AND NOT EXISTS (
        SELECT FROM jsonb_each(explanations) e
        WHERE jsonb_typeof(e.value) <> 'string' OR length(e.value #>> '{}') NOT BETWEEN 1 AND 2000)
$$;
ALTER TABLE risk_flags ADD COLUMN explanations jsonb;
UPDATE risk_flags SET explanations = jsonb_build_object('en', explanation)
    || CASE WHEN explanation_de = '' THEN '{}' ELSE jsonb_build_object('de', explanation_de) END;
ALTER TABLE risk_flags
    DROP COLUMN explanation,
    DROP COLUMN explanation_de,
    DROP COLUMN partner_explanation,
    DROP COLUMN partner_explanation_de,
    ALTER COLUMN explanations SET NOT NULL,
    ADD CONSTRAINT risk_flags_explanations_check CHECK (flag_explanations_valid(explanations)),
    ADD COLUMN explanation text GENERATED ALWAYS AS (explanations ->> 'en') STORED NOT NULL,
    ADD COLUMN explanation_de text GENERATED ALWAYS AS (coalesce(explanations ->> 'de', '')) STORED NOT NULL;
