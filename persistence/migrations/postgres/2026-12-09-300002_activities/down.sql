DROP TABLE activity_participants;
DROP TABLE activities;
DROP TABLE activity_plans;
