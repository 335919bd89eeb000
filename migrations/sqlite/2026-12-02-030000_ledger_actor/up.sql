-- Which staff member (the admin token's `sub`) made a ledger entry; set on
-- manual adjustments, null for everything the service does by itself.
ALTER TABLE ledger_entries ADD COLUMN actor TEXT;
