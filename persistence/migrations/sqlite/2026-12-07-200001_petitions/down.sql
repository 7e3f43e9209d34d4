DROP TABLE petition_steps;
DROP TABLE petition_persons;
DROP TABLE petitions;
