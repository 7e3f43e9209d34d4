-- Pension status and annual certification (issue 5; CS Art. 16(2), 27, 32; XM Art. 15).

-- The reason and month of a suspension, the last day the certification on file is valid, the last certification
-- date, and why the person must be certified at home. Rows from before this migration count as registered on the
-- day they were created, with the default twelve-month period (GUIDE 资格认证工作).
ALTER TABLE retirees ADD COLUMN suspension_reason TEXT;
ALTER TABLE retirees ADD COLUMN suspended_from DATE;
ALTER TABLE retirees ADD COLUMN certified_until DATE NOT NULL DEFAULT '1970-01-01';
UPDATE retirees SET certified_until = date(created_at, '+12 months');
ALTER TABLE retirees ADD COLUMN last_certified_on DATE;
ALTER TABLE retirees ADD COLUMN certification_barrier TEXT;
-- The certification run that last changed the status (cleared by every other change): lets a run record its
-- changes with one INSERT … SELECT after one UPDATE.
ALTER TABLE retirees ADD COLUMN status_run_id BIGINT;
CREATE INDEX retirees_certification_idx ON retirees (community_code, certified_until);

-- Every status change: effective month, reason, source (person, feed, run) and operator; resumptions carry the
-- back-pay they owe.
CREATE TABLE pension_status_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    retiree_id BIGINT NOT NULL REFERENCES retirees (id) ON DELETE CASCADE,
    community_code TEXT NOT NULL,
    from_status TEXT NOT NULL,
    from_reason TEXT,
    to_status TEXT NOT NULL,
    reason TEXT,
    effective_month DATE NOT NULL,
    source TEXT NOT NULL,
    source_ref BIGINT,
    operator TEXT NOT NULL,
    months_suspended INTEGER,
    back_pay_granted BOOLEAN,
    back_pay_months INTEGER,
    back_pay_fen BIGINT,
    note TEXT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX pension_status_changes_retiree_idx ON pension_status_changes (retiree_id, id);
CREATE INDEX pension_status_changes_source_idx ON pension_status_changes (source, source_ref, id);

-- Every certification: method, its evidence, the date, who certified, and the validity it gave.
CREATE TABLE certifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    retiree_id BIGINT NOT NULL REFERENCES retirees (id) ON DELETE CASCADE,
    method TEXT NOT NULL,
    data_source TEXT,
    provider TEXT,
    provider_reference TEXT,
    score TEXT,
    certifier_name TEXT,
    evidence TEXT,
    certified_on DATE NOT NULL,
    valid_until DATE NOT NULL,
    source TEXT NOT NULL,
    source_ref BIGINT,
    operator TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX certifications_retiree_idx ON certifications (retiree_id, id);
CREATE INDEX certifications_source_idx ON certifications (source, source_ref);

-- Home-visit certification tasks for those who cannot come (XM Art. 15(3)); one open task per person.
CREATE TABLE certification_tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    retiree_id BIGINT NOT NULL REFERENCES retirees (id) ON DELETE CASCADE,
    community_code TEXT NOT NULL,
    barrier TEXT NOT NULL,
    due_on DATE NOT NULL,
    status TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP,
    certification_id BIGINT
);
CREATE UNIQUE INDEX certification_tasks_open_idx ON certification_tasks (retiree_id) WHERE status = 'open';
CREATE INDEX certification_tasks_community_idx ON certification_tasks (community_code, status, due_on);

-- Certification runs: as-of date, jurisdiction, dry run or not, the counts; dry runs keep their list here, real
-- runs in pension_status_changes (source 'run').
CREATE TABLE certification_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    jurisdiction_code TEXT NOT NULL,
    scope_path TEXT NOT NULL,
    as_of DATE NOT NULL,
    dry_run BOOLEAN NOT NULL,
    actor TEXT NOT NULL,
    suspended BIGINT NOT NULL,
    already_suspended BIGINT NOT NULL,
    tasks_created BIGINT NOT NULL,
    summary TEXT NOT NULL,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP NOT NULL
);
CREATE INDEX certification_runs_scope_idx ON certification_runs (scope_path, id);
CREATE TABLE certification_run_items (
    run_id BIGINT NOT NULL REFERENCES certification_runs (id) ON DELETE CASCADE,
    retiree_id BIGINT NOT NULL,
    community_code TEXT NOT NULL,
    outcome TEXT NOT NULL,
    PRIMARY KEY (run_id, retiree_id)
);

-- Feed batches from the data platform, idempotent per (kind, batch id): the answer is kept for replays.
CREATE TABLE feed_batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    kind TEXT NOT NULL,
    batch_id TEXT NOT NULL,
    actor TEXT NOT NULL,
    scope_path TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    records BIGINT NOT NULL,
    matched BIGINT NOT NULL,
    applied BIGINT NOT NULL,
    unmatched BIGINT NOT NULL,
    summary TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    UNIQUE (kind, batch_id)
);
CREATE TABLE feed_unmatched (
    feed_batch_id BIGINT NOT NULL REFERENCES feed_batches (id) ON DELETE CASCADE,
    line BIGINT NOT NULL,
    id_number TEXT NOT NULL,
    reason TEXT NOT NULL,
    PRIMARY KEY (feed_batch_id, line)
);
