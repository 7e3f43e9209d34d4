DROP TABLE assistance_referrals;
