-- Foundation: jurisdictions, accounts, retirees, dependents, audit log, idempotency, login throttle (SQLite).
CREATE TABLE jurisdictions (
    code TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    level TEXT NOT NULL,
    parent_code TEXT REFERENCES jurisdictions (code),
    path TEXT NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX jurisdictions_parent_idx ON jurisdictions (parent_code, code);
CREATE UNIQUE INDEX jurisdictions_path_idx ON jurisdictions (path);

CREATE TABLE jurisdiction_changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    code TEXT NOT NULL REFERENCES jurisdictions (code),
    change TEXT NOT NULL,
    old_name TEXT,
    new_name TEXT,
    old_parent_code TEXT,
    new_parent_code TEXT,
    actor TEXT NOT NULL,
    changed_at TIMESTAMP NOT NULL
);
CREATE INDEX jurisdiction_changes_code_idx ON jurisdiction_changes (code, id);

CREATE TABLE accounts (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    kind TEXT NOT NULL,
    login TEXT NOT NULL UNIQUE,
    secret_hash TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX accounts_kind_idx ON accounts (kind, id);

CREATE TABLE login_throttle (
    login TEXT PRIMARY KEY NOT NULL,
    failures INTEGER NOT NULL,
    window_started_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP
);

CREATE TABLE retirees (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    id_number TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    sex TEXT NOT NULL,
    birth_date DATE NOT NULL,
    retirement_date DATE NOT NULL,
    category TEXT NOT NULL,
    management_level TEXT NOT NULL,
    community_code TEXT NOT NULL REFERENCES jurisdictions (code),
    phone TEXT,
    address TEXT,
    pension_status TEXT NOT NULL DEFAULT 'normal',
    monthly_pension_fen BIGINT,
    party_member BOOLEAN NOT NULL DEFAULT FALSE,
    notes TEXT,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX retirees_community_idx ON retirees (community_code, id);
CREATE INDEX retirees_name_idx ON retirees (name);
CREATE INDEX retirees_birth_date_idx ON retirees (birth_date);

CREATE TABLE retiree_special_groups (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    retiree_id BIGINT NOT NULL REFERENCES retirees (id) ON DELETE CASCADE,
    group_code TEXT NOT NULL,
    from_date DATE NOT NULL,
    to_date DATE
);
CREATE INDEX retiree_special_groups_retiree_idx ON retiree_special_groups (retiree_id);
CREATE INDEX retiree_special_groups_group_idx ON retiree_special_groups (group_code, retiree_id);

CREATE TABLE dependents (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    retiree_id BIGINT NOT NULL REFERENCES retirees (id) ON DELETE CASCADE,
    relation TEXT NOT NULL,
    id_number TEXT NOT NULL,
    name TEXT NOT NULL,
    supported BOOLEAN NOT NULL,
    version BIGINT NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (retiree_id, id_number)
);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    actor_role TEXT,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT,
    retiree_id BIGINT,
    scope_path TEXT NOT NULL,
    outcome TEXT NOT NULL,
    client_ip TEXT,
    request_id TEXT,
    detail TEXT
);
CREATE INDEX audit_log_retiree_idx ON audit_log (retiree_id, id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor, id);
CREATE INDEX audit_log_object_idx ON audit_log (object_type, object_id, id);
CREATE INDEX audit_log_time_idx ON audit_log (occurred_at);
CREATE INDEX audit_log_scope_idx ON audit_log (scope_path, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE idempotency_keys (
    actor TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status INTEGER NOT NULL,
    location TEXT,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (actor, idempotency_key)
);
