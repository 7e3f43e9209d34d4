-- The change feed (an outbox) and webhook subscriptions for the municipal data platform (issue 11; CS Art. 27, 30;
-- JN Art. 33).

-- One row per state change, written in the transaction of the change. Ids are taken under a transaction-level
-- write lock (BEGIN IMMEDIATE) held until commit, so id order is commit order and a reader that
-- resumes after an id never skips an event that commits later.
CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    type TEXT NOT NULL,
    version INTEGER NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    jurisdiction_code TEXT NOT NULL,
    jurisdiction_path TEXT NOT NULL,
    previous_path TEXT,
    subject_type TEXT NOT NULL,
    subject_id BIGINT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX events_path_idx ON events (jurisdiction_path, id);

-- A subscription: events of `event_types` (all when empty) in the owner's subtree, POSTed to `url` one at a time in
-- id order. `cursor` is the last event acknowledged; `lease_*` say which replica delivers now.
CREATE TABLE webhooks (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    url TEXT NOT NULL,
    event_types TEXT NOT NULL,
    secret TEXT NOT NULL,
    description TEXT,
    owner_login TEXT NOT NULL,
    owner_role TEXT NOT NULL,
    scope_path TEXT NOT NULL,
    active BOOLEAN NOT NULL,
    cursor BIGINT NOT NULL,
    failures INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP,
    lease_owner TEXT,
    lease_until TIMESTAMP,
    delivered BIGINT NOT NULL DEFAULT 0,
    last_delivered_at TIMESTAMP,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Every delivery attempt with what the receiver answered.
CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id BIGINT NOT NULL,
    event_type TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    attempted_at TIMESTAMP NOT NULL,
    outcome TEXT NOT NULL,
    status_code INTEGER,
    response_excerpt TEXT,
    error TEXT,
    duration_ms BIGINT NOT NULL,
    replica TEXT NOT NULL
);
CREATE INDEX webhook_attempts_webhook_idx ON webhook_attempts (webhook_id, id);
