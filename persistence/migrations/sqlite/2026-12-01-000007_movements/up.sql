-- Handover of new retirees, transfers, reductions, the movement ledger behind the monthly movement report, and
-- visit tasks for new arrivals (issue 6; GUIDE 交接制度; JN Art. 4, 21, 22; XM Art. 13).

-- Every change to a community's roll, in the month it counts in: `registered` (single create or import),
-- `received` (handover), `transferred_in`, `transferred_out`, `reduced`, `reinstated` (a reduction reversed).
-- The monthly report sums it, so it balances by construction. A row is one person (`retiree_id`), or, for the people
-- an import registered, one row per community with their number in `people` (`retiree_id` NULL).
CREATE TABLE roster_movements (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    retiree_id BIGINT REFERENCES retirees (id) ON DELETE CASCADE,
    community_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    month DATE NOT NULL,
    people BIGINT NOT NULL DEFAULT 1,
    source_type TEXT NOT NULL,
    source_id BIGINT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX roster_movements_community_idx ON roster_movements (community_code, month);
CREATE INDEX roster_movements_retiree_idx ON roster_movements (retiree_id, id);
-- The people on file count as registered in the month they were created; those already stopped or transferred
-- out as reduced in the month of their last change.
INSERT INTO roster_movements (retiree_id, community_code, kind, month, source_type, created_at)
    SELECT id, community_code, 'registered', date(created_at, 'start of month'), 'migration', created_at FROM retirees;
INSERT INTO roster_movements (retiree_id, community_code, kind, month, source_type, created_at)
    SELECT id, community_code, 'reduced', date(updated_at, 'start of month'), 'migration', updated_at FROM retirees
    WHERE pension_status IN ('stopped', 'transferred_out');

-- Whether the person is on a community's roll, and whether they are certified remotely (moved out of the city).
ALTER TABLE retirees ADD COLUMN on_roll BOOLEAN NOT NULL DEFAULT TRUE;
UPDATE retirees SET on_roll = FALSE WHERE pension_status IN ('stopped', 'transferred_out');
ALTER TABLE retirees ADD COLUMN remote_certification BOOLEAN NOT NULL DEFAULT FALSE;

-- A monthly batch of new retirees handed over by an employer.
CREATE TABLE handover_batches (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    employer_name TEXT NOT NULL,
    employer_credit_code TEXT,
    employer_community TEXT NOT NULL,
    month DATE NOT NULL,
    jurisdiction_code TEXT NOT NULL,
    scope_path TEXT NOT NULL,
    status TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX handover_batches_scope_idx ON handover_batches (scope_path, id);
CREATE TABLE handover_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    batch_id BIGINT NOT NULL REFERENCES handover_batches (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    name TEXT NOT NULL,
    id_number TEXT NOT NULL,
    party_member BOOLEAN NOT NULL,
    payload TEXT NOT NULL,
    residence_community TEXT,
    proposed_community TEXT NOT NULL,
    routing TEXT NOT NULL,
    community_code TEXT NOT NULL,
    override_reason TEXT,
    status TEXT NOT NULL,
    return_reason TEXT,
    retiree_id BIGINT,
    settled_by TEXT,
    settled_at TIMESTAMP,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX handover_items_batch_idx ON handover_items (batch_id, seq);
CREATE INDEX handover_items_community_idx ON handover_items (community_code, status);
CREATE TABLE handover_steps (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    item_id BIGINT NOT NULL REFERENCES handover_items (id) ON DELETE CASCADE,
    step TEXT NOT NULL,
    on_date DATE NOT NULL,
    detail TEXT,
    operator TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX handover_steps_item_idx ON handover_steps (item_id, id);

-- Moves between communities (JN Art. 22) and out of the city.
CREATE TABLE transfers (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    retiree_id BIGINT NOT NULL REFERENCES retirees (id) ON DELETE CASCADE,
    from_community TEXT NOT NULL,
    to_community TEXT,
    destination TEXT,
    documents TEXT NOT NULL,
    applied_on DATE NOT NULL,
    status TEXT NOT NULL,
    missing TEXT,
    completed_month DATE,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE UNIQUE INDEX transfers_open_idx ON transfers (retiree_id) WHERE status IN ('applied', 'returned', 'released');
CREATE INDEX transfers_from_idx ON transfers (from_community, id);
CREATE INDEX transfers_to_idx ON transfers (to_community, id);
CREATE TABLE transfer_steps (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    transfer_id BIGINT NOT NULL REFERENCES transfers (id) ON DELETE CASCADE,
    step TEXT NOT NULL,
    on_date DATE NOT NULL,
    note TEXT,
    operator TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX transfer_steps_transfer_idx ON transfer_steps (transfer_id, id);

-- People leaving the rolls: death (from the death workflow), moved out of the city, other.
CREATE TABLE reductions (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    retiree_id BIGINT NOT NULL REFERENCES retirees (id) ON DELETE CASCADE,
    community_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    reason TEXT NOT NULL,
    effective_month DATE NOT NULL,
    source_type TEXT NOT NULL,
    source_id BIGINT,
    reversed BOOLEAN NOT NULL DEFAULT FALSE,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX reductions_community_idx ON reductions (community_code, effective_month);

-- Visits owed to retirees: the first visit of a new arrival within the month of arrival (GUIDE 走访制度).
CREATE TABLE visit_tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    retiree_id BIGINT NOT NULL REFERENCES retirees (id) ON DELETE CASCADE,
    community_code TEXT NOT NULL,
    kind TEXT NOT NULL,
    due_on DATE NOT NULL,
    status TEXT NOT NULL,
    done_on DATE,
    done_by TEXT,
    note TEXT,
    source_type TEXT NOT NULL,
    source_id BIGINT,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX visit_tasks_community_idx ON visit_tasks (community_code, status, due_on);
CREATE INDEX visit_tasks_retiree_idx ON visit_tasks (retiree_id, status);
