-- A lot's `open` flag (remaining > 0) carries the open-lot indexes instead of
-- `remaining` itself: a debit that leaves points in its lot then changes the
-- row only. SQLite rewrites a partial index whenever a column its WHERE names
-- changes (two extra pages in every claim's commit); PostgreSQL can update
-- the row HOT. Allocations have no use for a rowid (SQLite): one B-tree less.
DROP INDEX lots_open;
DROP INDEX lots_due;
ALTER TABLE lots ADD COLUMN open BOOLEAN; -- postgres only
UPDATE lots SET open = remaining > 0; -- postgres only
ALTER TABLE lots ALTER COLUMN open SET NOT NULL, ADD CONSTRAINT lots_open_flag CHECK (open = (remaining > 0)); -- postgres only
CREATE INDEX lots_open ON lots (shop_id, customer_id, expires_at) WHERE open;
CREATE INDEX lots_due ON lots (shop_id, expires_at) WHERE open;
