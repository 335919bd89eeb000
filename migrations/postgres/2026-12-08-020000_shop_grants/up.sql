-- The access scopes Shopify granted each shop, as the code grant or the
-- token exchange answered them, so the admin can name the ones missing.
-- No row: not known (connected before this table, or by a pasted token).
CREATE TABLE shop_grants (
    shop_id TEXT PRIMARY KEY NOT NULL,
    scope TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
