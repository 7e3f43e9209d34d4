-- Digitisation batches of personnel archives (数字化批次; issue 23; XM Art. 16; JN Art. 8(7)): the archives of one
-- repository sent together for scanning (vendor or operator, started, finished), and per archive the result: the
-- digitised copy by reference (pages, URI, checksum) and the day. The archive's own digitised date and reference
-- are set in the same transaction.
CREATE TABLE archive_batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    repository_id BIGINT NOT NULL REFERENCES archive_repositories (id),
    vendor TEXT NOT NULL,
    operator TEXT NOT NULL,
    started_on DATE NOT NULL,
    finished_on DATE,
    status TEXT NOT NULL,
    note TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX archive_batches_repository_idx ON archive_batches (repository_id);
CREATE TABLE archive_batch_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    batch_id BIGINT NOT NULL REFERENCES archive_batches (id),
    archive_id BIGINT NOT NULL REFERENCES archives (id),
    pages INTEGER,
    uri TEXT,
    checksum TEXT,
    digitised_on DATE,
    UNIQUE (batch_id, archive_id)
);
CREATE INDEX archive_batch_items_archive_idx ON archive_batch_items (archive_id);
