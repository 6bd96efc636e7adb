-- The derived rows are written in bulk: a full recomputation of 2 M answers inserts 1.2 M per-kind rows,
-- 518k round rows and 360k trend rows. A foreign key checks, and key-share-locks, the parent row of each one:
-- 19 of the 30 s of the per-kind insert (EXPLAIN ANALYZE, trigger time). These rows are only ever written
-- from their parents in the same transaction (no API path deletes a round or a project), so the keys served
-- only the cascade on delete; statement-level triggers now delete the derived rows of deleted rounds and
-- projects, one set-based statement per delete.
ALTER TABLE round_statistics DROP CONSTRAINT round_statistics_round_id_fkey;
ALTER TABLE round_kind_statistics DROP CONSTRAINT round_kind_statistics_round_id_fkey;
ALTER TABLE project_trends DROP CONSTRAINT project_trends_project_id_fkey;

CREATE FUNCTION delete_rounds_derived_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM round_statistics WHERE round_id IN (SELECT id FROM deleted);
    DELETE FROM round_kind_statistics WHERE round_id IN (SELECT id FROM deleted);
    RETURN NULL;
END
$$;
CREATE TRIGGER survey_rounds_derived_rows AFTER DELETE ON survey_rounds
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION delete_rounds_derived_rows();

CREATE FUNCTION delete_projects_derived_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM project_trends WHERE project_id IN (SELECT id FROM deleted);
    RETURN NULL;
END
$$;
CREATE TRIGGER cooperation_projects_derived_rows AFTER DELETE ON cooperation_projects
    REFERENCING OLD TABLE AS deleted FOR EACH STATEMENT EXECUTE FUNCTION delete_projects_derived_rows();
