DROP TABLE idempotency_keys;
DROP TABLE outbox;
DROP TABLE ledger_entries;
DROP TABLE claims;
DROP TABLE customers;
DROP TABLE programs;
DROP TABLE shops;
