-- Volunteers (issue 25; CS Art. 22; JN Art. 7(9)): volunteers in the pool of a city or district node, and their
-- service records (hours in tenths) where they served.
CREATE TABLE volunteers (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    pool_code TEXT NOT NULL REFERENCES jurisdictions (code),
    name TEXT NOT NULL,
    retiree_id BIGINT REFERENCES retirees (id),
    skills TEXT NOT NULL,
    availability TEXT,
    organisation TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX volunteers_pool_idx ON volunteers (pool_code);
CREATE TABLE volunteer_services (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    volunteer_id BIGINT NOT NULL REFERENCES volunteers (id),
    served_on DATE NOT NULL,
    community_code TEXT NOT NULL REFERENCES jurisdictions (code),
    retiree_id BIGINT REFERENCES retirees (id),
    activity_id BIGINT REFERENCES activities (id),
    what TEXT NOT NULL,
    tenths INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX volunteer_services_volunteer_idx ON volunteer_services (volunteer_id);
CREATE INDEX volunteer_services_node_idx ON volunteer_services (community_code);
