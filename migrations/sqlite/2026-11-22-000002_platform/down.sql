DROP INDEX outbox_claim;
DROP INDEX claims_expiry;
DROP INDEX claims_platform;
ALTER TABLE customers DROP COLUMN redacted_at;
ALTER TABLE claims DROP COLUMN flag;
DROP TABLE order_earnings;
DROP TABLE data_requests;
DROP TABLE webhook_events;
