-- Reception, petitions and letters (issue 24; GUIDE 接待制度): the case, the people it is for, and every step on
-- it with the node that held the case then (a level that held it keeps seeing it).
CREATE TABLE petitions (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    channel TEXT NOT NULL,
    category TEXT NOT NULL,
    urgency TEXT NOT NULL,
    major_policy BOOLEAN NOT NULL,
    people_count INTEGER NOT NULL,
    collective BOOLEAN NOT NULL,
    body TEXT NOT NULL,
    attachments TEXT NOT NULL,
    received_on DATE NOT NULL,
    origin_code TEXT NOT NULL REFERENCES jurisdictions (code),
    owner_code TEXT NOT NULL REFERENCES jurisdictions (code),
    escalations INTEGER NOT NULL,
    status TEXT NOT NULL,
    basis TEXT NOT NULL,
    clock_started_on DATE NOT NULL,
    acknowledge_due DATE NOT NULL,
    answer_due DATE NOT NULL,
    due_on DATE,
    due_fixed BOOLEAN NOT NULL,
    assignee_id BIGINT REFERENCES accounts (id),
    acknowledged_on DATE,
    answer TEXT,
    answered_on DATE,
    outcome TEXT,
    satisfaction TEXT,
    closed_on DATE,
    reopened INTEGER NOT NULL,
    registered_by TEXT NOT NULL,
    registered_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX petitions_owner_idx ON petitions (owner_code, status);
CREATE INDEX petitions_due_idx ON petitions (due_on);
CREATE TABLE petition_persons (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    petition_id BIGINT NOT NULL REFERENCES petitions (id) ON DELETE CASCADE,
    retiree_id BIGINT REFERENCES retirees (id),
    dependent_id BIGINT REFERENCES dependents (id),
    name TEXT NOT NULL,
    phone TEXT
);
CREATE INDEX petition_persons_petition_idx ON petition_persons (petition_id);
CREATE INDEX petition_persons_retiree_idx ON petition_persons (retiree_id);
CREATE TABLE petition_steps (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    petition_id BIGINT NOT NULL REFERENCES petitions (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    node_code TEXT NOT NULL REFERENCES jurisdictions (code),
    on_date DATE NOT NULL,
    note TEXT,
    assignee_id BIGINT REFERENCES accounts (id),
    actor TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX petition_steps_petition_idx ON petition_steps (petition_id, id);
CREATE INDEX petition_steps_node_idx ON petition_steps (node_code, petition_id);
