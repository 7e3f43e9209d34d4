-- Encryption at rest of resident ID numbers and phones (issue 21.10). The sealed values go into the columns that held
-- the clear text (`v1:<key id>:<base64>`, see persistence::sealed); equality, uniqueness and search go through the
-- keyed hash (hex HMAC-SHA256). Rows written before this migration are sealed and hashed by
-- `retiree-service encrypt-data`; until then their hash is NULL.
ALTER TABLE retirees ADD COLUMN id_number_hash TEXT;
CREATE UNIQUE INDEX retirees_id_number_hash ON retirees (id_number_hash);
ALTER TABLE dependents ADD COLUMN id_number_hash TEXT;
CREATE UNIQUE INDEX dependents_retiree_id_number_hash ON dependents (retiree_id, id_number_hash);
CREATE INDEX dependents_id_number_hash ON dependents (id_number_hash);
