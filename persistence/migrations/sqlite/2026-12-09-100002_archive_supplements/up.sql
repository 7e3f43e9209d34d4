-- Supplementary materials of personnel archives (补充材料; issue 23; JN Art. 7(12), 27): a new material submitted for
-- a person (class from the catalogue, date, pages, who delivered it), reviewed by the archivist by a deadline from
-- the policy (accepted, or returned with a reason), and filed with the next running piece number of the archive.
CREATE TABLE archive_supplements (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    archive_id BIGINT NOT NULL REFERENCES archives (id),
    material_type TEXT NOT NULL,
    title TEXT NOT NULL,
    dated DATE,
    pages INTEGER NOT NULL,
    delivered_by TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    submitted_on DATE NOT NULL,
    review_due DATE NOT NULL,
    status TEXT NOT NULL,
    reviewed_by TEXT,
    reviewed_on DATE,
    return_reason TEXT,
    piece_no INTEGER,
    created_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX archive_supplements_archive_idx ON archive_supplements (archive_id);
CREATE INDEX archive_supplements_status_idx ON archive_supplements (status, review_due);
