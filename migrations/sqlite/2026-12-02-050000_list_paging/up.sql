-- Keyset paging of a customer's ledger and claims, newest first by
-- (created_at, id): one index walk per page (issue 14.11).
CREATE INDEX ledger_customer_created ON ledger_entries (shop_id, customer_id, created_at, id);
CREATE INDEX claims_customer_created ON claims (shop_id, customer_id, created_at, id);
