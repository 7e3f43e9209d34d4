-- Re-award after cancel (issue 27, ledgers; XM Art. 24, 21(5)): a cancelled excellent-leader award (its booking
-- reversed) no longer blocks awarding the same leader again in the same year; the unique index keeps one standing
-- award per leader and year.
ALTER TABLE fund_expenditures ADD COLUMN award_cancelled BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE fund_expenditures SET award_cancelled = TRUE WHERE id IN
    (SELECT r.reverses_id FROM fund_expenditures r WHERE r.reverses_id IS NOT NULL);
DROP INDEX fund_expenditures_award_idx;
CREATE UNIQUE INDEX fund_expenditures_award_idx ON fund_expenditures (leader_id, year)
    WHERE leader_id IS NOT NULL AND NOT award_cancelled;
