-- File import jobs (issue 4): one row per upload, its counters while it runs, and the report at the end.
CREATE TABLE import_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    mode TEXT NOT NULL,
    on_conflict TEXT NOT NULL,
    format TEXT NOT NULL,
    actor TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    scope_path TEXT NOT NULL,
    file_sha256 TEXT NOT NULL,
    bytes_total BIGINT NOT NULL,
    bytes_read BIGINT NOT NULL DEFAULT 0,
    rows_read BIGINT NOT NULL DEFAULT 0,
    created BIGINT NOT NULL DEFAULT 0,
    updated BIGINT NOT NULL DEFAULT 0,
    skipped BIGINT NOT NULL DEFAULT 0,
    rejected BIGINT NOT NULL DEFAULT 0,
    header TEXT,
    error_code TEXT,
    error_message TEXT,
    created_at TIMESTAMP NOT NULL,
    started_at TIMESTAMP,
    finished_at TIMESTAMP
);
CREATE INDEX import_jobs_scope_idx ON import_jobs (scope_path, id);
CREATE INDEX import_jobs_status_idx ON import_jobs (status, id);

-- Every broken rule of every rejected row.
CREATE TABLE import_errors (
    job_id BIGINT NOT NULL REFERENCES import_jobs (id),
    seq BIGINT NOT NULL,
    line BIGINT NOT NULL,
    field TEXT NOT NULL,
    code TEXT NOT NULL,
    message_zh TEXT NOT NULL,
    message_en TEXT NOT NULL,
    PRIMARY KEY (job_id, seq)
);
CREATE INDEX import_errors_line_idx ON import_errors (job_id, line);

-- The rejected rows as sent (cells in the file's column order, JSON), for the report a clerk fixes and resends.
CREATE TABLE import_rejected_rows (
    job_id BIGINT NOT NULL REFERENCES import_jobs (id),
    line BIGINT NOT NULL,
    cells TEXT NOT NULL,
    PRIMARY KEY (job_id, line)
);
