-- The transfer of personnel archives with their person (传递; issue 23; JN Art. 7(12), 21(3)-(4), 22): a dispatch
-- record per archive sent for a transfer (to whom, sent on, by what means, tracking number), in transit until the
-- receiver confirms (received on, by whom); or, instead, the exemption recorded for the transfer (JN Art. 21(4)),
-- which moves nothing.
CREATE TABLE archive_dispatches (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    archive_id BIGINT NOT NULL REFERENCES archives (id),
    transfer_id BIGINT NOT NULL REFERENCES transfers (id),
    exemption TEXT,
    to_authority TEXT NOT NULL,
    means TEXT,
    tracking_no TEXT,
    sent_on DATE NOT NULL,
    sent_by TEXT NOT NULL,
    status TEXT NOT NULL,
    received_on DATE,
    received_by TEXT,
    confirmed_by TEXT,
    note TEXT,
    created_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX archive_dispatches_archive_idx ON archive_dispatches (archive_id);
CREATE INDEX archive_dispatches_transfer_idx ON archive_dispatches (transfer_id);
