ALTER TABLE certification_runs DROP COLUMN dependents_suspended;
DROP TABLE dependent_support_changes;
DROP TABLE dependent_certifications;
DROP INDEX dependents_certification_idx;
ALTER TABLE dependents DROP COLUMN status_run_id;
ALTER TABLE dependents DROP COLUMN support_suspended_from;
ALTER TABLE dependents DROP COLUMN last_certified_on;
ALTER TABLE dependents DROP COLUMN certified_until;
