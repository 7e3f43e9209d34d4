DROP TABLE webhook_attempts;
DROP TABLE webhooks;
DROP TABLE events;
