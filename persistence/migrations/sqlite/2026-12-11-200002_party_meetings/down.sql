DROP TABLE party_meeting_attendance;
DROP TABLE party_meetings;
