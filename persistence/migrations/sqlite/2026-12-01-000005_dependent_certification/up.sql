-- Dependants and survivors who receive support are certified like retirees (XM Art. 15 last paragraph; GUIDE 二
-- "对供养的直系亲属视同退休人员"): a validity date, the last certification, and the month their support was
-- suspended for an overdue certification (NULL while it is paid). Rows from before this migration count as
-- registered on the day they were created, with the default twelve-month period.
ALTER TABLE dependents ADD COLUMN certified_until DATE NOT NULL DEFAULT '1970-01-01';
UPDATE dependents SET certified_until = date(created_at, '+12 months');
ALTER TABLE dependents ADD COLUMN last_certified_on DATE;
ALTER TABLE dependents ADD COLUMN support_suspended_from DATE;
-- The certification run that last suspended the support (as retirees.status_run_id).
ALTER TABLE dependents ADD COLUMN status_run_id BIGINT;
CREATE INDEX dependents_certification_idx ON dependents (certified_until, retiree_id);

-- Every certification of a dependant: the same methods and evidence as a retiree's.
CREATE TABLE dependent_certifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    dependent_id BIGINT NOT NULL REFERENCES dependents (id) ON DELETE CASCADE,
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
CREATE INDEX dependent_certifications_dependent_idx ON dependent_certifications (dependent_id, id);

-- Every suspension and resumption of a dependant's support: month, reason, source (person, feed, run), operator,
-- and on resumption the months suspended and paid back.
CREATE TABLE dependent_support_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    dependent_id BIGINT NOT NULL REFERENCES dependents (id) ON DELETE CASCADE,
    retiree_id BIGINT NOT NULL REFERENCES retirees (id) ON DELETE CASCADE,
    community_code TEXT NOT NULL,
    to_status TEXT NOT NULL,
    reason TEXT NOT NULL,
    effective_month DATE NOT NULL,
    months_suspended INTEGER,
    back_pay_granted BOOLEAN,
    back_pay_months INTEGER,
    source TEXT NOT NULL,
    source_ref BIGINT,
    operator TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX dependent_support_changes_dependent_idx ON dependent_support_changes (dependent_id, id);
CREATE INDEX dependent_support_changes_source_idx ON dependent_support_changes (source, source_ref, id);

-- Dependants whose support a run suspended.
ALTER TABLE certification_runs ADD COLUMN dependents_suspended BIGINT NOT NULL DEFAULT 0;
