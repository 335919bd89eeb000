-- Campaigns: versioned settings, counters that make limits conditional
-- updates, customer facts for triggers, events, and offers.
CREATE TABLE campaigns (
    shop_id TEXT NOT NULL,
    id TEXT NOT NULL,
    version BIGINT NOT NULL,
    enabled BOOLEAN NOT NULL,
    paused_reason TEXT,
    settings TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, id)
);

CREATE TABLE campaign_versions (
    shop_id TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    settings TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, campaign_id, version)
);

-- One row per campaign: money reserved by open offers and ever issued.
CREATE TABLE campaign_counters (
    shop_id TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    reserved_minor BIGINT NOT NULL CHECK (reserved_minor >= 0),
    total_minor BIGINT NOT NULL CHECK (total_minor >= 0),
    PRIMARY KEY (shop_id, campaign_id)
);

-- Codes per campaign per bucket: 'd:YYYY-MM-DD' (shop day), 'h:YYYY-MM-DDTHH' (UTC hour).
CREATE TABLE campaign_buckets (
    shop_id TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    bucket TEXT NOT NULL,
    codes BIGINT NOT NULL,
    PRIMARY KEY (shop_id, campaign_id, bucket)
);

-- Codes per campaign per customer within a window that opens at the first code.
CREATE TABLE campaign_customer_counts (
    shop_id TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    window_start TIMESTAMP NOT NULL,
    codes BIGINT NOT NULL,
    PRIMARY KEY (shop_id, campaign_id, customer_id)
);

CREATE TABLE customer_facts (
    shop_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    first_name TEXT,
    email TEXT,
    birthday TEXT,
    order_count BIGINT NOT NULL,
    last_order_at TIMESTAMP,
    last_offer_at TIMESTAMP,
    welcomed_at TIMESTAMP,
    win_back_at TIMESTAMP,
    birthday_year INTEGER,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, customer_id)
);

CREATE TABLE campaign_events (
    shop_id TEXT NOT NULL,
    id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    name TEXT,
    source TEXT NOT NULL,
    order_id TEXT,
    cart_id TEXT,
    subtotal_minor BIGINT,
    data TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, id)
);
CREATE INDEX campaign_events_customer ON campaign_events (shop_id, customer_id, kind, occurred_at);

CREATE TABLE offers (
    shop_id TEXT NOT NULL,
    id TEXT NOT NULL,
    campaign_id TEXT NOT NULL,
    campaign_version BIGINT NOT NULL,
    customer_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    trigger_kind TEXT NOT NULL,
    cart_id TEXT,
    status TEXT NOT NULL,
    reason TEXT,
    code TEXT,
    discount TEXT,
    reserved_minor BIGINT NOT NULL,
    value_minor BIGINT NOT NULL,
    platform_id TEXT,
    order_id TEXT,
    order_subtotal_minor BIGINT,
    due_at TIMESTAMP NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    issued_at TIMESTAMP,
    expires_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, id)
);
CREATE UNIQUE INDEX offers_code ON offers (shop_id, code);
CREATE UNIQUE INDEX offers_event_campaign ON offers (shop_id, event_id, campaign_id);
CREATE INDEX offers_due ON offers (status, due_at);
CREATE INDEX offers_campaign ON offers (shop_id, campaign_id, id);
CREATE INDEX offers_customer ON offers (shop_id, customer_id, status);
CREATE INDEX offers_expiry ON offers (status, expires_at);

-- Shop-wide settings of this feature: time zone and offer guardrails.
CREATE TABLE shop_offer_settings (
    shop_id TEXT NOT NULL PRIMARY KEY,
    timezone TEXT NOT NULL,
    min_hours_between_offers TEXT,
    blocked_customers TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE checkout_failures (
    shop_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    bucket TEXT NOT NULL,
    failures BIGINT NOT NULL,
    PRIMARY KEY (shop_id, customer_id, bucket)
);
