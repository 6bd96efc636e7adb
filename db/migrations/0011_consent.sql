-- Consent (the trust space): an organization takes part in a project only once it accepted, a project is
-- published only with its partners' approval and shows only the partners that agreed to appear, and no
-- organization can take another's name.

-- Invitations to join a project. An invited organization is not a partner: it has no row in
-- project_partners until it accepts, so nothing that counts partners (rounds, participants, statistics,
-- flags, visibility) counts it. Moderators are appointed by admins only, who add partners directly.
CREATE TYPE invitation_status AS ENUM ('INVITED', 'ACCEPTED', 'DECLINED');

CREATE TABLE project_invitations (
    project_id      bigint NOT NULL REFERENCES cooperation_projects ON DELETE CASCADE,
    organization_id bigint NOT NULL REFERENCES organizations ON DELETE CASCADE,
    role            partner_role NOT NULL CHECK (role <> 'MODERATOR'),
    status          invitation_status NOT NULL DEFAULT 'INVITED',
    -- the inviting organization; null when it no longer exists
    invited_by      bigint REFERENCES organizations ON DELETE SET NULL,
    invited_at      timestamptz NOT NULL DEFAULT now(),
    answered_at     timestamptz,
    PRIMARY KEY (project_id, organization_id),
    CHECK ((status = 'INVITED') = (answered_at IS NULL))
);
-- `viewer.projectInvitations`: the pending invitations of one organization
CREATE INDEX project_invitations_pending_idx ON project_invitations (organization_id, invited_at)
    WHERE status = 'INVITED';

-- Publication consent, per partner. Existing partners have approved nothing and appear nowhere: a story
-- published before this migration stays published, but lists none of its partners until they opt in.
ALTER TABLE project_partners
    ADD COLUMN publication_approved_at timestamptz,
    ADD COLUMN on_marketplace boolean NOT NULL DEFAULT false,
    ADD CHECK (NOT on_marketplace OR publication_approved_at IS NOT NULL);

-- Organization names are unique, compared without case and without any whitespace ("ACME  GmbH" is
-- "Acme GmbH" is "AcmeGmbH"), Unicode spaces included (no-break, thin, ideographic, zero-width). Existing duplicates stop the migration with their names: rename them
-- (`updateOrganization`, or SQL) and migrate again; silently renaming someone's organization is worse.
DO $$
DECLARE
    clashes text;
BEGIN
    SELECT string_agg(names, '; ') INTO clashes FROM (
        SELECT string_agg(format('%s (id %s)', name, id), ' = ' ORDER BY id) AS names
        FROM organizations
        GROUP BY lower(regexp_replace(name, '[\s\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]', '', 'g'))
        HAVING count(*) > 1
    ) duplicates;
    IF clashes IS NOT NULL THEN
        RAISE EXCEPTION 'organization names must be unique (ignoring case and spaces); rename these first: %',
            clashes;
    END IF;
END
$$;
CREATE UNIQUE INDEX organizations_normalized_name_idx ON organizations (
    lower(regexp_replace(name, '[\s\u00a0\u1680\u2000-\u200b\u2028\u2029\u202f\u205f\u3000\ufeff]', '', 'g')));
