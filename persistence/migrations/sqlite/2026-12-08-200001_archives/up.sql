-- Personnel archives (issue 23; XM Art. 16; CS Art. 12(2); JN Art. 7(12), 8(7), 12, 20, 21(3)-(4), 27): the
-- repositories of the archive authorities (a jurisdiction, a floor area, the keepers on staff), one archive per
-- person with its receipt (volumes, pieces, preparation, what was missing, who delivered and received), its place
-- (repository → room → shelf → box), its online copy by reference, its disposal after death, and its materials
-- list with running piece numbers.
CREATE TABLE archive_repositories (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    area_m2 BIGINT NOT NULL,
    keepers INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX archive_repositories_code_idx ON archive_repositories (code);
CREATE INDEX archive_repositories_node_idx ON archive_repositories (jurisdiction_code);
CREATE TABLE archives (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    retiree_id BIGINT REFERENCES retirees (id),
    handover_item_id BIGINT REFERENCES handover_items (id),
    person_name TEXT NOT NULL,
    id_number TEXT NOT NULL,
    id_number_hash TEXT NOT NULL,
    community_code TEXT NOT NULL REFERENCES jurisdictions (code),
    volumes INTEGER NOT NULL,
    pieces INTEGER NOT NULL,
    sorted_on DATE,
    catalogued_on DATE,
    bound_on DATE,
    digitised_on DATE,
    missing_items TEXT NOT NULL,
    delivered_by TEXT NOT NULL,
    received_by TEXT NOT NULL,
    received_on DATE NOT NULL,
    status TEXT NOT NULL,
    repository_id BIGINT REFERENCES archive_repositories (id),
    room TEXT,
    shelf TEXT,
    box TEXT,
    stored_on DATE,
    digital_uri TEXT,
    digital_pages INTEGER,
    digital_checksum TEXT,
    disposal_kind TEXT,
    disposed_on DATE,
    disposal_note TEXT,
    retention_until DATE,
    created_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX archives_id_number_hash_idx ON archives (id_number_hash);
CREATE INDEX archives_retiree_idx ON archives (retiree_id);
CREATE INDEX archives_handover_item_idx ON archives (handover_item_id);
CREATE INDEX archives_community_idx ON archives (community_code);
CREATE INDEX archives_repository_idx ON archives (repository_id);
CREATE TABLE archive_materials (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    archive_id BIGINT NOT NULL REFERENCES archives (id),
    piece_no INTEGER NOT NULL,
    material_type TEXT NOT NULL,
    title TEXT NOT NULL,
    dated DATE,
    pages INTEGER NOT NULL,
    source TEXT NOT NULL,
    filed_on DATE NOT NULL
);
CREATE UNIQUE INDEX archive_materials_piece_idx ON archive_materials (archive_id, piece_no);
