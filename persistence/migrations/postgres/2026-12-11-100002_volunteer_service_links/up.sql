-- Volunteer services linked to visits and activities (issue 25; CS Art. 22): a service may name the visit it was
-- given on (its date equals the visit's; checked by the service, no foreign key so that SQLite can drop the column);
-- the activity link existed already and gains its index.
ALTER TABLE volunteer_services ADD COLUMN visit_id BIGINT;
CREATE INDEX volunteer_services_visit_idx ON volunteer_services (visit_id);
CREATE INDEX volunteer_services_activity_idx ON volunteer_services (activity_id);
