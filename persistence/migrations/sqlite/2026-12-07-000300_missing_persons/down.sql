DROP TABLE missing_persons;
