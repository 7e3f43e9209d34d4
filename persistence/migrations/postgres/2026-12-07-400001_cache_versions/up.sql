-- Versions of what each process caches (issue 20): the account behind a token and the policy book. Triggers raise
-- them on every change that a cached copy could miss, whatever code path makes it; each process reads this table
-- at most every 250 ms and drops its cached copies when a version moved, so a change reaches every replica within
-- that bound. Statement-level: a bulk change raises the version once.
CREATE TABLE cache_versions (
    name TEXT PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL DEFAULT 0
);
INSERT INTO cache_versions (name, version) VALUES ('accounts', 0), ('policies', 0);
CREATE FUNCTION bump_cache_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE cache_versions SET version = version + 1 WHERE name = TG_ARGV[0];
    RETURN NULL;
END;
$$;
CREATE TRIGGER accounts_cache_version
AFTER INSERT OR DELETE OR UPDATE OF kind, login, role, jurisdiction_code, active, token_generation ON accounts
FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_version('accounts');
CREATE TRIGGER jurisdictions_cache_version AFTER UPDATE OF path ON jurisdictions
FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_version('accounts');
CREATE TRIGGER policy_versions_cache_version AFTER INSERT OR UPDATE OR DELETE ON policy_versions
FOR EACH STATEMENT EXECUTE FUNCTION bump_cache_version('policies');
