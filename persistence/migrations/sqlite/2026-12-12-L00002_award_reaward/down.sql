DROP INDEX fund_expenditures_award_idx;
ALTER TABLE fund_expenditures DROP COLUMN award_cancelled;
CREATE UNIQUE INDEX fund_expenditures_award_idx ON fund_expenditures (leader_id, year);
