DROP TRIGGER policy_versions_cache_version ON policy_versions;
DROP TRIGGER jurisdictions_cache_version ON jurisdictions;
DROP TRIGGER accounts_cache_version ON accounts;
DROP FUNCTION bump_cache_version();
DROP TABLE cache_versions;
