-- Issue 28: monthly partitions of audit_log and events are PostgreSQL-only (see the PostgreSQL migration);
-- on SQLite (one process, one file) each stays one table.
SELECT 1;
