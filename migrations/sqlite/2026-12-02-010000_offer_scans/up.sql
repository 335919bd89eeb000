-- The win-back / birthday scan's place per shop: a keyset cursor over
-- customer_facts (shop_id, customer_id), resumable after a restart.
CREATE TABLE campaign_scans (
    shop_id TEXT NOT NULL PRIMARY KEY,
    cursor_customer TEXT,
    next_cycle_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
-- discounts/delete finds an offer by its platform id.
CREATE INDEX offers_platform ON offers (shop_id, platform_id);
