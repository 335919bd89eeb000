CREATE INDEX lot_allocations_lot ON lot_allocations (shop_id, lot_id);
DROP INDEX lots_open;
CREATE INDEX lots_open ON lots (shop_id, customer_id, expires_at) WHERE open;
