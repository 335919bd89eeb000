DROP INDEX lots_open;
DROP INDEX lots_due;
CREATE TABLE lots_old ( -- sqlite only
    shop_id TEXT NOT NULL, -- sqlite only
    customer_id TEXT NOT NULL, -- sqlite only
    id TEXT NOT NULL, -- sqlite only
    points BIGINT NOT NULL CHECK (points >= 0), -- sqlite only
    remaining BIGINT NOT NULL CHECK (remaining >= 0 AND remaining <= points), -- sqlite only
    expires_at TIMESTAMP, -- sqlite only
    entry_id TEXT NOT NULL, -- sqlite only
    order_id TEXT, -- sqlite only
    warned BOOLEAN NOT NULL DEFAULT FALSE, -- sqlite only
    created_at TIMESTAMP NOT NULL, -- sqlite only
    PRIMARY KEY (shop_id, customer_id, id) -- sqlite only
); -- sqlite only
INSERT INTO lots_old (shop_id, customer_id, id, points, remaining, expires_at, entry_id, order_id, warned, created_at) -- sqlite only
SELECT shop_id, customer_id, id, points, remaining, expires_at, entry_id, order_id, warned, created_at FROM lots; -- sqlite only
DROP TABLE lots; -- sqlite only
ALTER TABLE lots_old RENAME TO lots; -- sqlite only
CREATE TABLE lot_allocations_old ( -- sqlite only
    shop_id TEXT NOT NULL, -- sqlite only
    entry_id TEXT NOT NULL, -- sqlite only
    lot_id TEXT NOT NULL, -- sqlite only
    customer_id TEXT NOT NULL, -- sqlite only
    points BIGINT NOT NULL CHECK (points <> 0), -- sqlite only
    PRIMARY KEY (shop_id, entry_id, lot_id) -- sqlite only
); -- sqlite only
INSERT INTO lot_allocations_old (shop_id, entry_id, lot_id, customer_id, points) -- sqlite only
SELECT shop_id, entry_id, lot_id, customer_id, points FROM lot_allocations; -- sqlite only
DROP TABLE lot_allocations; -- sqlite only
ALTER TABLE lot_allocations_old RENAME TO lot_allocations; -- sqlite only
CREATE INDEX lot_allocations_lot ON lot_allocations (shop_id, lot_id); -- sqlite only
CREATE INDEX lots_open ON lots (shop_id, customer_id, expires_at) WHERE remaining > 0;
CREATE INDEX lots_due ON lots (shop_id, expires_at) WHERE remaining > 0;
