-- The claim's debit, cheaper (issue 15.7):
-- * `lots_open` holds a wallet's open lots in the order debits spend them
--   (soonest expiry, no expiry last, then the oldest: domain::lots::spend_order),
--   so the debit reads its first lot from the index with LIMIT 1 and no sort,
--   then moves it with a plain guarded UPDATE by primary key. The former single
--   UPDATE … WHERE id IN (sorted subquery) RETURNING id cost SQLite five times a
--   plain update (a temp B-tree for the sort, RETURNING's materialisation).
--   Every other reader of open lots (outlook, inactivity touch) uses its prefix.
-- * A claim's allocation row is written to one B-tree only, its primary key
--   (shop, entry, lot): the by-lot index cost every claim's commit one more page,
--   and no hot query reads allocations by lot (only `bench verify`, which groups
--   them in one pass).
DROP INDEX lots_open;
CREATE INDEX lots_open ON lots (shop_id, customer_id, (expires_at IS NULL), expires_at, created_at, id) WHERE open;
DROP INDEX lot_allocations_lot;
