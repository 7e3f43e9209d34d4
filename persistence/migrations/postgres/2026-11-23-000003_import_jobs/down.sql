DROP TABLE import_rejected_rows;
DROP TABLE import_errors;
DROP TABLE import_jobs;
