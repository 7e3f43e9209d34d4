-- Use of personnel archives (利用; issue 23; JN Art. 7(12); XM Art. 16): a request to consult or borrow an archive
-- (who, purpose, which pieces, from-to, on site or online through the digitised copy), the archivist's decision,
-- the day it was handed out with the day it is due (the policy's loan period), and the day it came back.
CREATE TABLE archive_loans (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    archive_id BIGINT NOT NULL REFERENCES archives (id),
    kind TEXT NOT NULL,
    online BOOLEAN NOT NULL,
    requester TEXT NOT NULL,
    purpose TEXT NOT NULL,
    pieces TEXT NOT NULL,
    asked_from DATE NOT NULL,
    asked_until DATE NOT NULL,
    status TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_on DATE NOT NULL,
    decided_by TEXT,
    decided_on DATE,
    decision_note TEXT,
    lent_by TEXT,
    lent_on DATE,
    due_on DATE,
    returned_by TEXT,
    returned_on DATE,
    created_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX archive_loans_archive_idx ON archive_loans (archive_id);
CREATE INDEX archive_loans_status_idx ON archive_loans (status, due_on);
