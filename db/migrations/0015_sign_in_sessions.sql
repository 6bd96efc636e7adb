-- Sign-in for contact persons: e-mailed single-use links and the sessions they start. Only SHA-256 hashes
-- of the link and session tokens are stored. Removing a person removes their links and ends their sessions.

CREATE TABLE sign_in_links (
    token_hash        bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    contact_person_id bigint NOT NULL REFERENCES contact_persons ON DELETE CASCADE,
    created_at        timestamptz NOT NULL DEFAULT now(),
    expires_at        timestamptz NOT NULL,
    used_at           timestamptz
);
CREATE INDEX sign_in_links_person_idx ON sign_in_links (contact_person_id);

CREATE TABLE person_sessions (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash        bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    contact_person_id bigint NOT NULL REFERENCES contact_persons ON DELETE CASCADE,
    user_agent        text CHECK (length(user_agent) <= 300),
    created_at        timestamptz NOT NULL DEFAULT now(),
    expires_at        timestamptz NOT NULL,
    revoked_at        timestamptz
);
CREATE INDEX person_sessions_person_idx ON person_sessions (contact_person_id);
