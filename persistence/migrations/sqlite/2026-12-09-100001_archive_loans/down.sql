DROP TABLE archive_loans;
