-- Month close of the monthly statistical report (issue 27; GUIDE 交接制度 "按月计报"): one row per node and month;
-- `closed` holds the frozen report (snapshot, JSON) and the children whose filed figures differ from the parent's
-- count (differences, JSON); `reopened` records who reopened it and why.
CREATE TABLE month_closes (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    month DATE NOT NULL,
    status TEXT NOT NULL,
    snapshot TEXT NOT NULL,
    differences TEXT NOT NULL,
    closed_by TEXT NOT NULL,
    closed_at TIMESTAMP NOT NULL,
    reopened_by TEXT,
    reopened_at TIMESTAMP,
    reopen_reason TEXT,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX month_closes_node_month_idx ON month_closes (jurisdiction_code, month);
