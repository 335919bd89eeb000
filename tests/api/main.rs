//! The integration test binary: the real application on port 0 with a fresh
//! database per test (SQLite, or PostgreSQL when TEST_DATABASE_URL is set),
//! driven over HTTP. One binary with modules keeps link time down.

mod helpers;

mod admin;
mod admin_ui;
mod admin_walk;
mod app_config;
mod auth;
mod bad_input;
mod bad_input_paths;
mod budget_model;
mod campaign_limits;
mod campaign_report;
mod campaigns;
mod checkout;
mod claims;
mod code_abuse;
mod concurrency;
mod customer_search;
mod db_outage;
mod events;
mod extremes;
mod hostile;
mod idempotency;
mod install;
mod install_embedded;
mod install_scopes;
mod invariants;
mod invariants_store;
mod layout;
mod leaks;
mod list_paging;
mod lot_order;
mod lots;
mod migrations;
mod notify;
mod offer_checkout;
mod offer_push;
mod offer_scan;
mod offer_webhooks;
mod ops;
mod pages;
mod paging;
mod parser_errors;
#[path = "../support/pg_certs.rs"]
mod pg_certs;
mod pg_tls;
mod plans;
mod programs;
mod properties;
mod proxy;
mod reconcile;
mod refunds;
mod search_plans;
mod startup;
mod store_helpers;
mod tokens;
mod ui;
mod walk3;

#[path = "../support/double_selftest.rs"]
mod double_selftest;
mod platform;
mod platform_claims;
mod platform_faults;
mod platform_races;
mod platform_schema;
mod pos_quote;
#[path = "../support/shopify_double.rs"]
mod shopify_double;
mod webhook_money;
mod webhooks;
mod widget_api;
mod writers;
