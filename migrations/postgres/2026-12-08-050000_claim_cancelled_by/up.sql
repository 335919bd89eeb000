-- Who cancelled a code (its points came back): shopper, merchant, clerk,
-- expiry or platform (deleted at Shopify). Null while the code is open, and
-- for codes cancelled before this column existed.
ALTER TABLE claims ADD COLUMN cancelled_by TEXT;
