DROP TABLE dependent_support_steps;
DROP TABLE dependent_support;
DROP TABLE overpayment_entries;
DROP TABLE overpayments;
DROP TABLE death_reports;
