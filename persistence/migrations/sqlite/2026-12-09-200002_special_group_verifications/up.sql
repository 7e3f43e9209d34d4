-- Special-group ledgers (issue 27; GUIDE 第四章五 step 2 "核实"): a worker confirms (or denies) a person's membership of
-- a group on a day with evidence; the last record per person and group is the recorded membership.
CREATE TABLE special_group_verifications (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    retiree_id BIGINT NOT NULL REFERENCES retirees (id),
    group_code TEXT NOT NULL,
    member BOOLEAN NOT NULL,
    verified_on DATE NOT NULL,
    worker TEXT NOT NULL,
    evidence TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX special_group_verifications_person_idx ON special_group_verifications (retiree_id, group_code, id);
