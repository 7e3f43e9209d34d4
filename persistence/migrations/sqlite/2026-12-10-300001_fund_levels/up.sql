-- Funding at every level (issue 27; XM Art. 20-22, JN Art. 14-16): budgets per node and fund kind, allocations from
-- a parent's budget to its children, payments booked against the fund and linked both ways, yearly closes.
ALTER TABLE fund_budgets ADD COLUMN fund TEXT NOT NULL DEFAULT 'service';
DROP INDEX fund_budgets_year_idx;
CREATE UNIQUE INDEX fund_budgets_fund_year_idx ON fund_budgets (jurisdiction_code, fund, year);

ALTER TABLE fund_expenditures ADD COLUMN fund TEXT NOT NULL DEFAULT 'service';
-- The condolence paid by this booking (and, on the condolence, the booking: linked both ways).
ALTER TABLE fund_expenditures ADD COLUMN condolence_id BIGINT;
-- A reversal (negative amount) names the booking it reverses.
ALTER TABLE fund_expenditures ADD COLUMN reverses_id BIGINT;
CREATE INDEX fund_expenditures_fund_idx ON fund_expenditures (jurisdiction_code, fund, year);

ALTER TABLE condolences ADD COLUMN expenditure_id BIGINT;
ALTER TABLE condolences ADD COLUMN cancelled_at TIMESTAMP;
ALTER TABLE condolences ADD COLUMN cancel_reason TEXT;

-- An allocation of a fund's year from a node to a direct child (XM Art. 22: the city centre allocates recipient
-- numbers and amounts to the districts).
CREATE TABLE fund_allocations (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    fund TEXT NOT NULL,
    year INTEGER NOT NULL,
    from_code TEXT NOT NULL REFERENCES jurisdictions (code),
    to_code TEXT NOT NULL REFERENCES jurisdictions (code),
    recipients BIGINT,
    amount_fen BIGINT NOT NULL,
    on_date DATE NOT NULL,
    note TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX fund_allocations_from_idx ON fund_allocations (from_code, fund, year);
CREATE INDEX fund_allocations_to_idx ON fund_allocations (to_code, fund, year);

-- The year close of a fund at a node (like month_closes): the frozen statement, the children's differences.
CREATE TABLE fund_year_closes (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    fund TEXT NOT NULL,
    year INTEGER NOT NULL,
    status TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    closed_by TEXT NOT NULL,
    closed_at TIMESTAMP NOT NULL,
    reopened_by TEXT,
    reopened_at TIMESTAMP,
    reopen_reason TEXT,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX fund_year_closes_node_idx ON fund_year_closes (jurisdiction_code, fund, year);
