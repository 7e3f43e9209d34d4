-- Effective-dated policy versions bound to jurisdiction nodes, and the working-day calendar.
CREATE TABLE policy_versions (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    version INTEGER NOT NULL,
    valid_from DATE NOT NULL,
    valid_to DATE,
    preset TEXT,
    parameters TEXT NOT NULL,
    note TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (jurisdiction_code, version),
    UNIQUE (jurisdiction_code, valid_from)
);

CREATE TABLE calendar_days (
    day DATE PRIMARY KEY NOT NULL,
    year INTEGER NOT NULL,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX calendar_days_year_idx ON calendar_days (year, day);
