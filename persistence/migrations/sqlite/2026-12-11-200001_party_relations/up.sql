-- Party members' organisation relations (issue 25; CS Art. 12(3), 24; JN Art. 21(2), 22, 29; GUIDE 交接制度):
-- branches 党支部 of street and community party organisations, one open relation per party member (in a branch,
-- or transferring to another branch until it accepts), and every step of a relation.
CREATE TABLE party_branches (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    founded_on DATE NOT NULL,
    secretary TEXT,
    closed_on DATE,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX party_branches_name_idx ON party_branches (jurisdiction_code, name);
CREATE TABLE party_relations (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    retiree_id BIGINT NOT NULL REFERENCES retirees (id),
    branch_id BIGINT NOT NULL REFERENCES party_branches (id),
    joined_on DATE NOT NULL,
    came_from TEXT,
    from_branch_id BIGINT REFERENCES party_branches (id),
    status TEXT NOT NULL,
    target_branch_id BIGINT REFERENCES party_branches (id),
    destination TEXT,
    transferred_on DATE,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX party_relations_retiree_idx ON party_relations (retiree_id);
CREATE INDEX party_relations_branch_idx ON party_relations (branch_id);
CREATE UNIQUE INDEX party_relations_open_idx ON party_relations (retiree_id)
    WHERE status IN ('in_branch', 'transferring');
CREATE TABLE party_relation_steps (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    relation_id BIGINT NOT NULL REFERENCES party_relations (id),
    action TEXT NOT NULL,
    branch_id BIGINT REFERENCES party_branches (id),
    on_date DATE NOT NULL,
    detail TEXT,
    operator TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX party_relation_steps_relation_idx ON party_relation_steps (relation_id);
