-- Outgoing webhooks to the merchant's own systems: where to send them and
-- the deliveries themselves (at least once, same id on every retry, dead
-- letter after the retry window).
CREATE TABLE shop_notify (
    shop_id TEXT NOT NULL PRIMARY KEY,
    url TEXT NOT NULL,
    secret TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE notifications (
    shop_id TEXT NOT NULL,
    id TEXT NOT NULL,
    event_type TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP,
    PRIMARY KEY (shop_id, id)
);
CREATE INDEX notifications_due ON notifications (status, next_attempt_at);
CREATE INDEX notifications_shop_created ON notifications (shop_id, created_at, id);
