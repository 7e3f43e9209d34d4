-- Organisation life of party branches (issue 25; CS Art. 24; JN Art. 29): meetings, lessons, theme days and study
-- sessions with the attendance of the branch's retired members (absent with a reason).
CREATE TABLE party_meetings (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    branch_id BIGINT NOT NULL REFERENCES party_branches (id),
    kind TEXT NOT NULL,
    held_on DATE NOT NULL,
    topic TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX party_meetings_branch_idx ON party_meetings (branch_id);
CREATE TABLE party_meeting_attendance (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    meeting_id BIGINT NOT NULL REFERENCES party_meetings (id),
    retiree_id BIGINT NOT NULL REFERENCES retirees (id),
    attended BOOLEAN NOT NULL,
    absence_reason TEXT
);
CREATE UNIQUE INDEX party_meeting_attendance_idx ON party_meeting_attendance (meeting_id, retiree_id);
