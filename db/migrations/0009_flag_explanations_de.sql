-- Flag explanations in German too (full and partner version); the API answers in the language a client
-- asks for. Empty until a flag's project is recomputed: the API falls back to English meanwhile.
ALTER TABLE risk_flags ADD COLUMN explanation_de text NOT NULL DEFAULT '' CHECK (length(explanation_de) <= 2000);
ALTER TABLE risk_flags ADD COLUMN partner_explanation_de text NOT NULL DEFAULT ''
    CHECK (length(partner_explanation_de) <= 2000);
