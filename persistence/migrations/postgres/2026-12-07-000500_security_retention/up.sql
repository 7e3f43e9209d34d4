-- Issue 21.3: failed logins counted per client address too (the same progressive delay as per login name).
CREATE TABLE login_address_throttle (
    address TEXT PRIMARY KEY NOT NULL,
    failures INTEGER NOT NULL,
    window_started_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP
);
-- Issue 21.9: the ETag of the first answer is replayed with it.
ALTER TABLE idempotency_keys ADD COLUMN etag TEXT;
-- Issue 21.12: what the retention sweep has removed: every row of `name` with an id up to `up_to` is gone.
CREATE TABLE retention_marks (
    name TEXT PRIMARY KEY NOT NULL,
    up_to BIGINT NOT NULL,
    swept_at TIMESTAMP NOT NULL
);
