-- Versions of what each process caches (issue 20): the account behind a token and the policy book. Triggers raise
-- them on every change that a cached copy could miss, whatever code path makes it; each process reads this table
-- at most every 250 ms and drops its cached copies when a version moved, so a change reaches every replica within
-- that bound.
CREATE TABLE cache_versions (
    name TEXT PRIMARY KEY NOT NULL,
    version BIGINT NOT NULL DEFAULT 0
);
INSERT INTO cache_versions (name, version) VALUES ('accounts', 0), ('policies', 0);
CREATE TRIGGER accounts_cache_insert AFTER INSERT ON accounts
BEGIN UPDATE cache_versions SET version = version + 1 WHERE name = 'accounts'; END;
CREATE TRIGGER accounts_cache_update AFTER UPDATE OF kind, login, role, jurisdiction_code, active, token_generation
ON accounts
BEGIN UPDATE cache_versions SET version = version + 1 WHERE name = 'accounts'; END;
CREATE TRIGGER accounts_cache_delete AFTER DELETE ON accounts
BEGIN UPDATE cache_versions SET version = version + 1 WHERE name = 'accounts'; END;
CREATE TRIGGER jurisdictions_cache_update AFTER UPDATE OF path ON jurisdictions
BEGIN UPDATE cache_versions SET version = version + 1 WHERE name = 'accounts'; END;
CREATE TRIGGER policy_versions_cache_insert AFTER INSERT ON policy_versions
BEGIN UPDATE cache_versions SET version = version + 1 WHERE name = 'policies'; END;
CREATE TRIGGER policy_versions_cache_update AFTER UPDATE ON policy_versions
BEGIN UPDATE cache_versions SET version = version + 1 WHERE name = 'policies'; END;
CREATE TRIGGER policy_versions_cache_delete AFTER DELETE ON policy_versions
BEGIN UPDATE cache_versions SET version = version + 1 WHERE name = 'policies'; END;
