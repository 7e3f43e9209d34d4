-- Condolences, recorded visits, self-management groups and the service fund (issue 8; XM Art. 12, 14, 21-24;
-- CS Art. 10, 19, 25; JN Art. 11-17, 31-32; GUIDE 走访制度).

-- A bulk festival condolence: everybody eligible in a node for a festival on one day.
CREATE TABLE festival_batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    jurisdiction_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    on_date DATE NOT NULL,
    people BIGINT NOT NULL,
    total_fen BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- One condolence to one person (or, for a death, the family), with the amount of the policy on the day; `paid`
-- false is a visit without payment (not counted against the yearly cap).
CREATE TABLE condolences (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    retiree_id BIGINT NOT NULL REFERENCES retirees (id) ON DELETE CASCADE,
    community_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    on_date DATE NOT NULL,
    year INTEGER NOT NULL,
    paid BOOLEAN NOT NULL,
    amount_fen BIGINT NOT NULL,
    amount_source TEXT NOT NULL,
    batch_id BIGINT REFERENCES festival_batches (id),
    note TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX condolences_person_idx ON condolences (retiree_id, kind, year);
CREATE INDEX condolences_community_idx ON condolences (community_code, on_date);

-- Visits made (date, worker, findings, follow-up); a visit closes the person's open visit tasks.
CREATE TABLE visits (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    retiree_id BIGINT NOT NULL REFERENCES retirees (id) ON DELETE CASCADE,
    community_code TEXT NOT NULL,
    on_date DATE NOT NULL,
    worker TEXT NOT NULL,
    findings TEXT NOT NULL,
    follow_up TEXT,
    dibao_referral BOOLEAN NOT NULL,
    tasks_closed BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX visits_person_idx ON visits (retiree_id, on_date);

-- Self-management groups (自管小组) of a community, by area or building.
CREATE TABLE care_groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    community_code TEXT NOT NULL REFERENCES jurisdictions (code),
    name TEXT NOT NULL,
    basis TEXT NOT NULL,
    area TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX care_groups_name_idx ON care_groups (community_code, name);

CREATE TABLE group_members (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    group_id BIGINT NOT NULL REFERENCES care_groups (id) ON DELETE CASCADE,
    retiree_id BIGINT NOT NULL REFERENCES retirees (id) ON DELETE CASCADE,
    joined_on DATE NOT NULL,
    left_on DATE
);
CREATE INDEX group_members_group_idx ON group_members (group_id);
CREATE INDEX group_members_person_idx ON group_members (retiree_id);

-- Leader terms: one in office at a time (a new election ends the previous term on its date).
CREATE TABLE group_leaders (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    group_id BIGINT NOT NULL REFERENCES care_groups (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    retiree_id BIGINT REFERENCES retirees (id),
    elected_on DATE NOT NULL,
    ended_on DATE,
    insured BOOLEAN NOT NULL,
    insurer TEXT,
    insured_until DATE,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX group_leaders_group_idx ON group_leaders (group_id, elected_on);

CREATE TABLE leader_trainings (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    leader_id BIGINT NOT NULL REFERENCES group_leaders (id) ON DELETE CASCADE,
    on_date DATE NOT NULL,
    topic TEXT NOT NULL,
    hours INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- The yearly service fund budget of a district: the snapshot (headcounts on the reference date, the policy values
-- used, the computed figures) as JSON, never recomputed.
CREATE TABLE fund_budgets (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    year INTEGER NOT NULL,
    reference_date DATE NOT NULL,
    total_fen BIGINT NOT NULL,
    snapshot TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX fund_budgets_year_idx ON fund_budgets (jurisdiction_code, year);

-- The expenditure ledger, append-only, by allowed category (XM Art. 21(1)-(7); CS Art. 10 para. 2; JN Art. 15).
CREATE TABLE fund_expenditures (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    jurisdiction_code TEXT NOT NULL,
    year INTEGER NOT NULL,
    on_date DATE NOT NULL,
    category TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    description TEXT NOT NULL,
    leader_id BIGINT REFERENCES group_leaders (id),
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX fund_expenditures_year_idx ON fund_expenditures (jurisdiction_code, year);
CREATE UNIQUE INDEX fund_expenditures_award_idx ON fund_expenditures (leader_id, year);

-- A closed funding statement: the figures as computed on closing, served from here afterwards.
CREATE TABLE fund_statements (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    jurisdiction_code TEXT NOT NULL,
    year INTEGER NOT NULL,
    snapshot TEXT NOT NULL,
    closed_by TEXT NOT NULL,
    closed_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX fund_statements_year_idx ON fund_statements (jurisdiction_code, year);
