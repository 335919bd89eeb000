DROP TABLE expiry_warnings;
DROP TABLE pending_points;
DROP TABLE lot_allocations;
DROP TABLE lots;
DROP TABLE points_policies;
CREATE TABLE ledger_entries_old ( -- sqlite only
    shop_id TEXT NOT NULL, -- sqlite only
    id TEXT NOT NULL, -- sqlite only
    customer_id TEXT NOT NULL, -- sqlite only
    delta BIGINT NOT NULL CHECK (delta <> 0), -- sqlite only
    balance_after BIGINT NOT NULL CHECK (balance_after >= 0), -- sqlite only
    kind TEXT NOT NULL, -- sqlite only
    claim_id TEXT, -- sqlite only
    order_id TEXT, -- sqlite only
    reason TEXT, -- sqlite only
    created_at TIMESTAMP NOT NULL, -- sqlite only
    PRIMARY KEY (shop_id, id), -- sqlite only
    FOREIGN KEY (shop_id, customer_id) REFERENCES customers(shop_id, id) -- sqlite only
); -- sqlite only
INSERT INTO ledger_entries_old (shop_id, id, customer_id, delta, balance_after, kind, claim_id, order_id, reason, created_at) -- sqlite only
SELECT shop_id, id, customer_id, delta, balance_after, kind, claim_id, order_id, reason, created_at FROM ledger_entries WHERE delta <> 0; -- sqlite only
DROP TABLE ledger_entries; -- sqlite only
ALTER TABLE ledger_entries_old RENAME TO ledger_entries; -- sqlite only
CREATE INDEX ledger_customer ON ledger_entries (shop_id, customer_id, id); -- sqlite only
CREATE UNIQUE INDEX ledger_claim_kind ON ledger_entries (shop_id, claim_id, kind); -- sqlite only
CREATE UNIQUE INDEX ledger_order_kind ON ledger_entries (shop_id, order_id, kind); -- sqlite only
