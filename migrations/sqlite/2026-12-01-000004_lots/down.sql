DROP TABLE expiry_warnings;
DROP TABLE pending_points;
DROP TABLE lot_allocations;
DROP TABLE lots;
DROP TABLE points_policies;
CREATE TABLE ledger_entries_old (
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
INSERT INTO ledger_entries_old (shop_id, id, customer_id, delta, balance_after, kind, claim_id, order_id, reason, created_at)
SELECT shop_id, id, customer_id, delta, balance_after, kind, claim_id, order_id, reason, created_at FROM ledger_entries WHERE delta <> 0;
DROP TABLE ledger_entries;
ALTER TABLE ledger_entries_old RENAME TO ledger_entries;
CREATE INDEX ledger_customer ON ledger_entries (shop_id, customer_id, id);
CREATE UNIQUE INDEX ledger_claim_kind ON ledger_entries (shop_id, claim_id, kind);
CREATE UNIQUE INDEX ledger_order_kind ON ledger_entries (shop_id, order_id, kind);
