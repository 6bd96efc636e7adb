-- The portfolio cron job fingerprints and recomputes the current month only, as new answers arrive: an
-- index by submission time (with the id, for the fingerprint's sum) makes both a range scan of one month
-- instead of a pass over every answer.
CREATE INDEX survey_responses_submitted_idx ON survey_responses (submitted_at) INCLUDE (id);
