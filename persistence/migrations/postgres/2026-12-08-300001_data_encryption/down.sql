DROP INDEX dependents_id_number_hash;
DROP INDEX dependents_retiree_id_number_hash;
ALTER TABLE dependents DROP COLUMN id_number_hash;
DROP INDEX retirees_id_number_hash;
ALTER TABLE retirees DROP COLUMN id_number_hash;
