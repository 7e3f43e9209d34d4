ALTER TABLE policy_versions DROP COLUMN extends_beyond_term;
