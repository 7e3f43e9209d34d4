-- Tokens carry the generation of their account's credentials (claim `gen`); a password change or a secret
-- rotation raises it, so tokens issued before answer 401 on every replica.
ALTER TABLE accounts ADD COLUMN token_generation BIGINT NOT NULL DEFAULT 0;
