-- Missing persons (issue 19.7; CS Art. 32(2): "下落不明超过6个月，其亲属或利害关系人不按规定申报的"): the day a
-- person went missing, who reported it and, once they turn up, the day found. At most one open record per person.
CREATE TABLE missing_persons (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    retiree_id BIGINT NOT NULL REFERENCES retirees (id) ON DELETE CASCADE,
    missing_since DATE NOT NULL,
    reported_by TEXT NOT NULL,
    note TEXT,
    recorded_by TEXT NOT NULL,
    recorded_at TIMESTAMP NOT NULL,
    found_on DATE,
    found_note TEXT,
    closed_by TEXT,
    closed_at TIMESTAMP
);
CREATE UNIQUE INDEX missing_persons_open_idx ON missing_persons (retiree_id) WHERE found_on IS NULL;
CREATE INDEX missing_persons_retiree_idx ON missing_persons (retiree_id, id);
