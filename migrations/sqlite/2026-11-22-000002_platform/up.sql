-- Platform connector: webhook dedupe, privacy requests, order earnings for
-- proportional reversal, claim flags and platform lookups.
CREATE TABLE webhook_events (
    shop_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    outcome TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, event_id)
);
CREATE INDEX webhook_events_received ON webhook_events (received_at);

CREATE TABLE data_requests (
    shop_id TEXT NOT NULL,
    id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    orders_requested TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, id)
);

CREATE TABLE order_earnings (
    shop_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    subtotal_minor BIGINT NOT NULL,
    refunded_minor BIGINT NOT NULL,
    points_earned BIGINT NOT NULL,
    points_reversed BIGINT NOT NULL,
    points_unrecovered BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, order_id)
);

ALTER TABLE claims ADD COLUMN flag TEXT;
ALTER TABLE customers ADD COLUMN redacted_at TIMESTAMP;
CREATE INDEX claims_platform ON claims (shop_id, platform_id);
CREATE INDEX claims_expiry ON claims (status, expires_at);
CREATE INDEX outbox_claim ON outbox (shop_id, claim_id);
