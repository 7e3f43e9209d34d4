DROP TABLE care_supervisions;
DROP TABLE care_requests;
DROP TABLE caregiver_areas;
DROP TABLE caregivers;
DROP TABLE care_institutions;
