-- Each answer keeps the kind its organization had when it was submitted. A round's per-kind means are
-- computed from it, so they never depend on a later change of kind, and the portfolio's round check can
-- model a closed round's released kind sets with the kinds they were computed with.
ALTER TABLE survey_responses ADD COLUMN organization_kind organization_kind;
UPDATE survey_responses s SET organization_kind = o.kind FROM organizations o WHERE o.id = s.organization_id;
ALTER TABLE survey_responses ALTER COLUMN organization_kind SET NOT NULL;
-- The API's insert sets the kind in its own statement; writers that load answers directly (the demo's COPY,
-- fixtures) get the organization's kind at insert time from this trigger instead of an error.
CREATE FUNCTION survey_responses_fill_organization_kind() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.organization_kind IS NULL THEN
        SELECT o.kind INTO NEW.organization_kind FROM organizations o WHERE o.id = NEW.organization_id;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER survey_responses_fill_organization_kind BEFORE INSERT ON survey_responses
    FOR EACH ROW EXECUTE FUNCTION survey_responses_fill_organization_kind();
