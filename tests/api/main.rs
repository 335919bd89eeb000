//! The integration test binary: the real application on port 0 with a fresh
//! database per test (SQLite, or PostgreSQL when TEST_DATABASE_URL is set),
//! driven over HTTP. One binary with modules keeps link time down.

mod helpers;

mod admin;
mod auth;
mod bad_input;
mod campaign_limits;
mod campaigns;
mod checkout;
mod claims;
mod concurrency;
mod events;
mod idempotency;
mod invariants;
mod migrations;
mod notify;
mod ops;
mod programs;
mod properties;
mod refunds;
mod startup;

#[path = "../support/double_selftest.rs"]
mod double_selftest;
mod platform;
#[path = "../support/shopify_double.rs"]
mod shopify_double;
mod webhooks;
