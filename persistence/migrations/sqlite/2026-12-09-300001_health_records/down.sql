DROP TABLE health_examinations;
DROP TABLE health_records;
DROP TABLE health_institutions;
