-- What an update import changed, per column (issue 29): a JSON object of counts.
ALTER TABLE import_jobs ADD COLUMN field_changes TEXT;
