-- Activities (issue 25; XM Art. 17; CS Art. 20; JN Art. 30): a plan per node and year, the activities under it,
-- and the people signed up (retirees and dependants) with their attendance.
CREATE TABLE activity_plans (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    year INTEGER NOT NULL,
    title TEXT NOT NULL,
    content TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX activity_plans_node_year_idx ON activity_plans (jurisdiction_code, year);
CREATE TABLE activities (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    plan_id BIGINT NOT NULL REFERENCES activity_plans (id),
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    held_on DATE NOT NULL,
    place TEXT NOT NULL,
    organiser TEXT NOT NULL,
    capacity INTEGER,
    signed_up INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX activities_node_idx ON activities (jurisdiction_code);
CREATE INDEX activities_held_idx ON activities (held_on);
CREATE TABLE activity_participants (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    activity_id BIGINT NOT NULL REFERENCES activities (id),
    retiree_id BIGINT NOT NULL REFERENCES retirees (id),
    dependent_id BIGINT REFERENCES dependents (id),
    participant_key TEXT NOT NULL,
    signed_up_on DATE NOT NULL,
    attended BOOLEAN,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX activity_participants_key_idx ON activity_participants (activity_id, participant_key);
CREATE INDEX activity_participants_retiree_idx ON activity_participants (retiree_id);
