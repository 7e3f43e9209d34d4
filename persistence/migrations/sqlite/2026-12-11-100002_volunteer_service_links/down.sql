DROP INDEX volunteer_services_activity_idx;
DROP INDEX volunteer_services_visit_idx;
ALTER TABLE volunteer_services DROP COLUMN visit_id;
