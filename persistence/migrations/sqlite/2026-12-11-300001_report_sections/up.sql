-- Reports, ledgers and funds (issue 27, reports27).
-- The civil-affairs hardship list (特困人员名单) as received through the feed `hardship`: one row per matched person
-- of a batch, compared with the 特困 ledger (GUIDE 第四章五 step 3). The latest batch covering a person's community
-- is the list in force.
CREATE TABLE hardship_listings (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    feed_batch_id BIGINT NOT NULL REFERENCES feed_batches (id),
    retiree_id BIGINT NOT NULL REFERENCES retirees (id),
    listed_on DATE NOT NULL,
    source TEXT NOT NULL,
    reference TEXT
);
CREATE INDEX hardship_listings_batch_idx ON hardship_listings (feed_batch_id, retiree_id);
CREATE INDEX hardship_listings_retiree_idx ON hardship_listings (retiree_id);
-- A festival list's condolences are linked to their bookings set-based (by condolence).
CREATE INDEX fund_expenditures_condolence_idx ON fund_expenditures (condolence_id);
