DROP TABLE archive_dispatches;
