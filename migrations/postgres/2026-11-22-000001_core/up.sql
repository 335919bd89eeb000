-- Core schema. Every key and unique index begins with shop_id so the schema
-- can be distributed by shop; money is integer minor units or decimal text.
CREATE TABLE shops (
    id TEXT NOT NULL PRIMARY KEY,
    currency TEXT NOT NULL,
    earn_points_per_unit TEXT NOT NULL,
    platform_kind TEXT NOT NULL,
    platform_access_token TEXT,
    platform_api_version TEXT,
    platform_base_url TEXT,
    platform_enabled BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE programs (
    shop_id TEXT NOT NULL REFERENCES shops(id),
    channel TEXT NOT NULL,
    version BIGINT NOT NULL,
    settings TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, channel, version)
);

CREATE TABLE customers (
    shop_id TEXT NOT NULL REFERENCES shops(id),
    id TEXT NOT NULL,
    points_balance BIGINT NOT NULL CHECK (points_balance >= 0),
    email TEXT,
    display_name TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, id)
);

CREATE TABLE claims (
    shop_id TEXT NOT NULL,
    id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    code TEXT NOT NULL,
    points BIGINT NOT NULL CHECK (points > 0),
    value_minor BIGINT NOT NULL CHECK (value_minor > 0),
    currency TEXT NOT NULL,
    purchase_type TEXT NOT NULL,
    status TEXT NOT NULL,
    program_version BIGINT NOT NULL,
    program_snapshot TEXT NOT NULL,
    platform_id TEXT,
    order_id TEXT,
    order_subtotal_minor BIGINT,
    failure_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    used_at TIMESTAMP,
    refunded_at TIMESTAMP,
    PRIMARY KEY (shop_id, id),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers(shop_id, id)
);
CREATE UNIQUE INDEX claims_code ON claims (shop_id, code);
CREATE INDEX claims_customer ON claims (shop_id, customer_id, id);
CREATE INDEX claims_created ON claims (shop_id, created_at);

CREATE TABLE ledger_entries (
    shop_id TEXT NOT NULL,
    id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    delta BIGINT NOT NULL CHECK (delta <> 0),
    balance_after BIGINT NOT NULL CHECK (balance_after >= 0),
    kind TEXT NOT NULL,
    claim_id TEXT,
    order_id TEXT,
    reason TEXT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, id),
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers(shop_id, id)
);
CREATE INDEX ledger_customer ON ledger_entries (shop_id, customer_id, id);
-- One debit and at most one credit per claim; one earn per order.
CREATE UNIQUE INDEX ledger_claim_kind ON ledger_entries (shop_id, claim_id, kind);
CREATE UNIQUE INDEX ledger_order_kind ON ledger_entries (shop_id, order_id, kind);

CREATE TABLE outbox (
    shop_id TEXT NOT NULL,
    id TEXT NOT NULL,
    claim_id TEXT NOT NULL,
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, id)
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

CREATE TABLE idempotency_keys (
    shop_id TEXT NOT NULL,
    principal TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status_code INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, principal, key)
);
