-- Elderly care services (issue 26; GUIDE 第二部分六): institutions of a node, caregivers registered at a node and
-- serving several, care requests through the ten steps with their booking slot, and the spot checks on them.
CREATE TABLE care_institutions (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    address TEXT NOT NULL,
    licence_no TEXT,
    licence_expires_on DATE,
    beds_total INTEGER NOT NULL,
    beds_occupied INTEGER NOT NULL,
    services TEXT NOT NULL,
    contact_name TEXT,
    contact_phone TEXT,
    last_verified_on DATE NOT NULL,
    verified_via TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX care_institutions_node_idx ON care_institutions (jurisdiction_code);
CREATE INDEX care_institutions_verified_idx ON care_institutions (last_verified_on);
CREATE TABLE caregivers (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    name TEXT NOT NULL,
    phone TEXT,
    grade TEXT NOT NULL,
    certificate_no TEXT NOT NULL,
    certificate_on DATE NOT NULL,
    institution_id BIGINT REFERENCES care_institutions (id),
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    items TEXT NOT NULL,
    languages TEXT NOT NULL,
    available BOOLEAN NOT NULL,
    trainings TEXT NOT NULL,
    grade_history TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL
);
CREATE UNIQUE INDEX caregivers_certificate_idx ON caregivers (certificate_no);
CREATE INDEX caregivers_node_idx ON caregivers (jurisdiction_code);
CREATE TABLE caregiver_areas (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    caregiver_id BIGINT NOT NULL REFERENCES caregivers (id) ON DELETE CASCADE,
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code)
);
CREATE UNIQUE INDEX caregiver_areas_idx ON caregiver_areas (caregiver_id, jurisdiction_code);
CREATE INDEX caregiver_areas_node_idx ON caregiver_areas (jurisdiction_code);
CREATE TABLE care_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    retiree_id BIGINT NOT NULL REFERENCES retirees (id),
    jurisdiction_code TEXT NOT NULL REFERENCES jurisdictions (code),
    items TEXT NOT NULL,
    frequency TEXT NOT NULL,
    preferred_time TEXT,
    place TEXT NOT NULL,
    institution_id BIGINT REFERENCES care_institutions (id),
    cost_bearer TEXT NOT NULL,
    status TEXT NOT NULL,
    requested_on DATE NOT NULL,
    eligibility_note TEXT,
    checked_on DATE,
    caregiver_id BIGINT REFERENCES caregivers (id),
    slot_start TIMESTAMP,
    slot_end TIMESTAMP,
    delivered_start TIMESTAMP,
    delivered_end TIMESTAMP,
    delivered_by TEXT,
    score INTEGER,
    evaluation TEXT,
    evaluated_by TEXT,
    evaluated_on DATE,
    cancel_reason TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX care_requests_node_idx ON care_requests (jurisdiction_code, status);
CREATE INDEX care_requests_caregiver_idx ON care_requests (caregiver_id, slot_start);
CREATE INDEX care_requests_retiree_idx ON care_requests (retiree_id);
CREATE TABLE care_supervisions (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    request_id BIGINT NOT NULL REFERENCES care_requests (id) ON DELETE CASCADE,
    on_date DATE NOT NULL,
    result TEXT NOT NULL,
    note TEXT,
    actor TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX care_supervisions_request_idx ON care_supervisions (request_id, id);
