-- High-age allowance (issue 25 part 4; JN Art. 7(7)): applications and their decision. The person's community is
-- read from the roll (a transfer moves the application with the person); payment starts with from_month (the month
-- the first band's age is reached) and stops with the death flow's stop month.
CREATE TABLE high_age_allowance_applications (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    retiree_id BIGINT NOT NULL REFERENCES retirees (id),
    applied_on DATE NOT NULL,
    status TEXT NOT NULL,
    from_month DATE NOT NULL,
    note TEXT,
    reason TEXT,
    decided_on DATE,
    decided_by TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX high_age_allowance_retiree_idx ON high_age_allowance_applications (retiree_id);
CREATE UNIQUE INDEX high_age_allowance_open_idx ON high_age_allowance_applications (retiree_id)
    WHERE status IN ('applied', 'approved');
