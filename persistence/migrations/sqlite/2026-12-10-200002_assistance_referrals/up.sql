-- Assistance referral (issue 25 part 4; JN Art. 7(8); GUIDE 走访制度): a person in hardship referred to civil affairs
-- for 低保 or 特困, linked to the visit that found the hardship, with civil affairs' answer. Seen where the person is
-- on the roll.
CREATE TABLE assistance_referrals (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    retiree_id BIGINT NOT NULL REFERENCES retirees (id),
    kind TEXT NOT NULL,
    visit_id BIGINT REFERENCES visits (id),
    hardship TEXT NOT NULL,
    referred_on DATE NOT NULL,
    status TEXT NOT NULL,
    answered_on DATE,
    granted_from DATE,
    answer_note TEXT,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL
);
CREATE INDEX assistance_referrals_retiree_idx ON assistance_referrals (retiree_id);
CREATE UNIQUE INDEX assistance_referrals_open_idx ON assistance_referrals (retiree_id, kind)
    WHERE status IN ('referred', 'accepted');
