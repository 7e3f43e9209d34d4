ALTER TABLE import_jobs DROP COLUMN field_changes;
