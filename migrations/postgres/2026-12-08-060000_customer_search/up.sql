-- Who a customer is (from webhooks and events) on the wallet row, indexed
-- for case-insensitive prefix search: store/profiles.rs searches each key
-- with a range `lower(col) >= ? AND lower(col) < ?` (PostgreSQL: the
-- byte-wise `~>=~` / `~<~` of text_pattern_ops, whatever the collation), which
-- these expression indexes serve. SQLite's lower() folds ASCII letters only.
ALTER TABLE customers ADD COLUMN first_name TEXT;
ALTER TABLE customers ADD COLUMN last_name TEXT;
ALTER TABLE customers ADD COLUMN phone TEXT;
CREATE INDEX customers_id_search ON customers (shop_id, id text_pattern_ops); -- postgres only
CREATE INDEX customers_name_search ON customers (shop_id, lower(display_name) text_pattern_ops); -- postgres only
CREATE INDEX customers_last_name_search ON customers (shop_id, lower(last_name) text_pattern_ops); -- postgres only
CREATE INDEX customers_email_search ON customers (shop_id, lower(email) text_pattern_ops); -- postgres only
CREATE INDEX customers_phone_search ON customers (shop_id, phone text_pattern_ops); -- postgres only

-- Customers known only from campaign events get their wallet (0 points), so
-- they can be found and opened; what the events told is copied over.
INSERT INTO customers (shop_id, id, points_balance, email, display_name, first_name, created_at, updated_at)
SELECT f.shop_id, f.customer_id, 0, f.email, f.first_name, f.first_name, f.created_at, f.updated_at
FROM customer_facts f JOIN shops s ON s.id = f.shop_id
WHERE NOT EXISTS (SELECT 1 FROM customers c WHERE c.shop_id = f.shop_id AND c.id = f.customer_id);
UPDATE customers SET
    first_name = (SELECT f.first_name FROM customer_facts f WHERE f.shop_id = customers.shop_id AND f.customer_id = customers.id),
    display_name = COALESCE(display_name, (SELECT f.first_name FROM customer_facts f WHERE f.shop_id = customers.shop_id AND f.customer_id = customers.id)),
    email = COALESCE(email, (SELECT f.email FROM customer_facts f WHERE f.shop_id = customers.shop_id AND f.customer_id = customers.id))
WHERE first_name IS NULL AND redacted_at IS NULL
  AND EXISTS (SELECT 1 FROM customer_facts f WHERE f.shop_id = customers.shop_id AND f.customer_id = customers.id);

-- The deliveries panel counts and lists a shop's deliveries by status.
CREATE INDEX notifications_shop_status ON notifications (shop_id, status, id);
