-- Reports, ledgers and funds (issue 27, reports27).
-- A festival list's condolences are linked to their bookings set-based (by condolence).
CREATE INDEX fund_expenditures_condolence_idx ON fund_expenditures (condolence_id);
