-- Who acknowledges a flag may say what is being done about it; the note is read with the flag (its audience).
ALTER TABLE risk_flags ADD COLUMN acknowledgement_note text CHECK (length(acknowledgement_note) <= 2000);
