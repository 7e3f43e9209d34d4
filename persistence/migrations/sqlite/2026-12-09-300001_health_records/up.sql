-- Health records (issue 25; GUIDE 第五部分第四章四; CS Art. 7(3)6; JN Art. 25): the community health service
-- institutions of a node with their cooperation agreement, one record per person, and the examinations on it.
-- The conditions of a record and the summary of an examination are sensitive personal information (PIPL Art. 28)
-- and are sealed at rest (issue 21.10).
CREATE TABLE health_institutions (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    address TEXT NOT NULL,
    contact_name TEXT,
    contact_phone TEXT,
    agreement_no TEXT,
    agreement_from DATE,
    agreement_until DATE,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX health_institutions_node_idx ON health_institutions (jurisdiction_code);
CREATE TABLE health_records (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    retiree_id BIGINT NOT NULL REFERENCES retirees (id),
    institution_id BIGINT NOT NULL REFERENCES health_institutions (id),
    conditions TEXT NOT NULL,
    disability_level TEXT NOT NULL,
    created_on DATE NOT NULL,
    last_updated_on DATE NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX health_records_retiree_idx ON health_records (retiree_id);
CREATE INDEX health_records_updated_idx ON health_records (last_updated_on);
CREATE TABLE health_examinations (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    record_id BIGINT NOT NULL REFERENCES health_records (id),
    examined_on DATE NOT NULL,
    institution_id BIGINT NOT NULL REFERENCES health_institutions (id),
    summary TEXT NOT NULL,
    chronic_disease BOOLEAN NOT NULL,
    disability_level TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX health_examinations_record_idx ON health_examinations (record_id);
