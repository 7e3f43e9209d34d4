DROP TABLE archive_supplements;
