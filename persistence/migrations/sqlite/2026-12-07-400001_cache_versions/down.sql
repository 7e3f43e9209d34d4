DROP TRIGGER policy_versions_cache_delete;
DROP TRIGGER policy_versions_cache_update;
DROP TRIGGER policy_versions_cache_insert;
DROP TRIGGER jurisdictions_cache_update;
DROP TRIGGER accounts_cache_delete;
DROP TRIGGER accounts_cache_update;
DROP TRIGGER accounts_cache_insert;
DROP TABLE cache_versions;
