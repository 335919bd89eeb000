DROP INDEX lots_open;
DROP INDEX lots_due;
ALTER TABLE lots DROP CONSTRAINT lots_open_flag, DROP COLUMN open; -- postgres only
CREATE INDEX lots_open ON lots (shop_id, customer_id, expires_at) WHERE remaining > 0;
CREATE INDEX lots_due ON lots (shop_id, expires_at) WHERE remaining > 0;
