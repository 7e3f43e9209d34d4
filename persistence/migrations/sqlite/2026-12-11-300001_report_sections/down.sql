DROP INDEX fund_expenditures_condolence_idx;
DROP TABLE hardship_listings;
