-- Install: OAuth `state` values, single use, bound to the shop.
CREATE TABLE oauth_states (
    shop_id TEXT NOT NULL,
    state TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (shop_id, state)
);
CREATE INDEX oauth_states_expiry ON oauth_states (expires_at);
