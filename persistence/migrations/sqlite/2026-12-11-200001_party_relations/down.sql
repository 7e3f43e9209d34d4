DROP TABLE party_relation_steps;
DROP TABLE party_relations;
DROP TABLE party_branches;
