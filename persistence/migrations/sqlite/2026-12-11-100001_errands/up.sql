-- Tracked errands 代办事项 (issue 25; JN Art. 7(5), 24; GUIDE 走访制度): the senior preferential card, chronic/special
-- disease and special-drug qualification, medical-insurance continuation, done for a person by the node that handles
-- it (the person's community by default), with materials, dates, the due date from the policy (none when no text
-- gives days) and the result. At most one pending (open or submitted) errand per person and kind.
CREATE TABLE errands (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    retiree_id BIGINT NOT NULL REFERENCES retirees (id),
    kind TEXT NOT NULL,
    node_code TEXT NOT NULL REFERENCES jurisdictions (code),
    materials TEXT NOT NULL,
    opened_on DATE NOT NULL,
    submitted_on DATE,
    due_on DATE,
    status TEXT NOT NULL,
    closed_on DATE,
    reason TEXT,
    notes TEXT,
    transfer_id BIGINT REFERENCES transfers (id),
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX errands_retiree_idx ON errands (retiree_id);
CREATE INDEX errands_node_idx ON errands (node_code);
CREATE INDEX errands_due_idx ON errands (due_on);
CREATE UNIQUE INDEX errands_pending_idx ON errands (retiree_id, kind) WHERE status IN ('open', 'submitted');
