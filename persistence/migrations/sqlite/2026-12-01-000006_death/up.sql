-- Death reports, overpaid pension and its recovery, death benefits, and dependants' support (issue 7; GUIDE 四、五;
-- CS Art. 16(4), 31, 32).

-- A report of a death: who reported it and when, whether late against the working-day deadline, its
-- verification, and the pension state before it (a reversal restores it).
CREATE TABLE death_reports (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    retiree_id BIGINT NOT NULL REFERENCES retirees (id) ON DELETE CASCADE,
    community_code TEXT NOT NULL,
    date_of_death DATE NOT NULL,
    certificate_number TEXT NOT NULL,
    reporter_kind TEXT NOT NULL,
    reporter_name TEXT NOT NULL,
    reporter_relation TEXT,
    reported_on DATE NOT NULL,
    deadline DATE NOT NULL,
    late BOOLEAN NOT NULL,
    status TEXT NOT NULL,
    stop_month DATE NOT NULL,
    prior_status TEXT,
    prior_reason TEXT,
    prior_suspended_from DATE,
    condolence_fen BIGINT,
    funeral_grant_fen BIGINT,
    survivor_benefit_fen BIGINT,
    note TEXT,
    verified_by TEXT,
    verified_at TIMESTAMP,
    closed_reason TEXT,
    closed_by TEXT,
    closed_at TIMESTAMP,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
-- One report in progress or in force per person.
CREATE UNIQUE INDEX death_reports_open_idx ON death_reports (retiree_id) WHERE status IN ('reported', 'verified');
CREATE INDEX death_reports_community_idx ON death_reports (community_code, date_of_death);

-- Pension paid for months after the stop month, and its recovery ledger (CS Art. 31).
CREATE TABLE overpayments (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    retiree_id BIGINT NOT NULL REFERENCES retirees (id) ON DELETE CASCADE,
    death_report_id BIGINT NOT NULL REFERENCES death_reports (id) ON DELETE CASCADE,
    community_code TEXT NOT NULL,
    first_month DATE NOT NULL,
    last_month DATE NOT NULL,
    months INTEGER NOT NULL,
    monthly_fen BIGINT NOT NULL,
    amount_fen BIGINT NOT NULL,
    due_by DATE NOT NULL,
    status TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX overpayments_report_idx ON overpayments (death_report_id);
CREATE INDEX overpayments_community_idx ON overpayments (community_code, status);
CREATE TABLE overpayment_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    overpayment_id BIGINT NOT NULL REFERENCES overpayments (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    entry_on DATE NOT NULL,
    approved_by TEXT,
    note TEXT,
    operator TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX overpayment_entries_overpayment_idx ON overpayment_entries (overpayment_id, id);

-- Applications of dependants for support after the death (GUIDE 五), their steps, and the support's months.
CREATE TABLE dependent_support (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    retiree_id BIGINT NOT NULL REFERENCES retirees (id) ON DELETE CASCADE,
    dependent_id BIGINT NOT NULL REFERENCES dependents (id) ON DELETE CASCADE,
    death_report_id BIGINT NOT NULL REFERENCES death_reports (id) ON DELETE CASCADE,
    community_code TEXT NOT NULL,
    applied_on DATE NOT NULL,
    deadline DATE NOT NULL,
    status TEXT NOT NULL,
    support_from DATE,
    support_until DATE,
    end_reason TEXT,
    fraud_note TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX dependent_support_open_idx ON dependent_support (dependent_id) WHERE status NOT IN ('rejected', 'terminated');
CREATE INDEX dependent_support_community_idx ON dependent_support (community_code, status);
CREATE TABLE dependent_support_steps (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    application_id BIGINT NOT NULL REFERENCES dependent_support (id) ON DELETE CASCADE,
    step TEXT NOT NULL,
    passed BOOLEAN NOT NULL,
    on_date DATE NOT NULL,
    note TEXT,
    operator TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX dependent_support_steps_application_idx ON dependent_support_steps (application_id, id);
