DROP TABLE retention_marks;
ALTER TABLE idempotency_keys DROP COLUMN etag;
DROP TABLE login_address_throttle;
