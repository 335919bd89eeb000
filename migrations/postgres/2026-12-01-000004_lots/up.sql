-- Points lots: lots, their allocations, pending points, the
-- shop's expiry policy; ledger entries gain pending_delta (delta may be 0).
ALTER TABLE ledger_entries ADD COLUMN pending_delta BIGINT NOT NULL DEFAULT 0; -- postgres only
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_delta_check; -- postgres only
ALTER TABLE ledger_entries ADD CONSTRAINT ledger_entries_moves CHECK (delta <> 0 OR pending_delta <> 0); -- postgres only

CREATE TABLE points_policies (
    shop_id TEXT NOT NULL PRIMARY KEY,
    expiry_kind TEXT NOT NULL,
    expiry_days INTEGER,
    pending_days INTEGER NOT NULL,
    expiry_warning_days INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- A credit of points with its own expiry; remaining goes down as debits draw
-- on it and back up when a claim that drew on it is refunded.
CREATE TABLE lots (
    shop_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    id TEXT NOT NULL,
    points BIGINT NOT NULL CHECK (points >= 0),
    remaining BIGINT NOT NULL CHECK (remaining >= 0 AND remaining <= points),
    expires_at TIMESTAMP,
    entry_id TEXT NOT NULL,
    order_id TEXT,
    warned BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, customer_id, id)
);
-- Open lots of a wallet (the debit's choice) and the due lots of a shop
-- (expiry sweep, warnings); spent lots drop out of both.
CREATE INDEX lots_open ON lots (shop_id, customer_id, expires_at) WHERE remaining > 0;
CREATE INDEX lots_due ON lots (shop_id, expires_at) WHERE remaining > 0;

-- What a ledger entry took from (points > 0) or gave back to (points < 0)
-- each lot: for every entry with allocations, their sum is -delta.
CREATE TABLE lot_allocations (
    shop_id TEXT NOT NULL,
    entry_id TEXT NOT NULL,
    lot_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    points BIGINT NOT NULL CHECK (points <> 0),
    PRIMARY KEY (shop_id, entry_id, lot_id)
);
CREATE INDEX lot_allocations_lot ON lot_allocations (shop_id, lot_id);

-- Points earned on an order inside the return window, released into a lot
-- at release_at.
CREATE TABLE pending_points (
    shop_id TEXT NOT NULL,
    order_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    points BIGINT NOT NULL CHECK (points > 0),
    release_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, order_id)
);
CREATE INDEX pending_points_customer ON pending_points (shop_id, customer_id);
CREATE INDEX pending_points_due ON pending_points (release_at);

-- One points.expiring warning per customer per expiry date.
CREATE TABLE expiry_warnings (
    shop_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    points BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, customer_id, expires_at)
);

-- Every existing balance becomes one lot without expiry (0 points for an
-- empty wallet), standing for the ledger up to its latest entry: debits up
-- to that entry predate lots and have no allocations.
INSERT INTO lots (shop_id, customer_id, id, points, remaining, expires_at, entry_id, order_id, warned, created_at)
SELECT c.shop_id, c.id, 'migrated-' || c.id, c.points_balance, c.points_balance, NULL,
       COALESCE((SELECT MAX(e.id) FROM ledger_entries e WHERE e.shop_id = c.shop_id AND e.customer_id = c.id), ''),
       NULL, FALSE, c.updated_at
FROM customers c;
