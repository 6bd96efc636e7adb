-- API tokens: only a SHA-256 hash of the token is stored.
CREATE TABLE api_tokens (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    token_hash      bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    -- a token belongs to an organization (member) or is an admin token
    organization_id bigint REFERENCES organizations ON DELETE CASCADE,
    is_admin        boolean NOT NULL DEFAULT false,
    label           text CHECK (length(label) <= 200),
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_used_at    timestamptz,
    revoked_at      timestamptz,
    CHECK (is_admin = (organization_id IS NULL))
);
CREATE INDEX api_tokens_organization_idx ON api_tokens (organization_id);
