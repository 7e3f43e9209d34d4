DROP TABLE archive_materials;
DROP TABLE archives;
DROP TABLE archive_repositories;
