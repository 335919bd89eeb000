//! Points lots and the campaign scan's place (split from schema.rs to keep
//! files short); `schema` re-exports every table here.

use super::schema::{ledger_entries, shops};

// Points lots: credits, their allocations to debits, pending points.

diesel::table! {
    points_policies (shop_id) {
        shop_id -> Text,
        expiry_kind -> Text,
        expiry_days -> Nullable<Integer>,
        pending_days -> Integer,
        expiry_warning_days -> Integer,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    lots (shop_id, customer_id, id) {
        shop_id -> Text,
        customer_id -> Text,
        id -> Text,
        points -> BigInt,
        remaining -> BigInt,
        expires_at -> Nullable<Timestamp>,
        entry_id -> Text,
        order_id -> Nullable<Text>,
        warned -> Bool,
        created_at -> Timestamp,
        open -> Bool,
    }
}

diesel::table! {
    lot_allocations (shop_id, entry_id, lot_id) {
        shop_id -> Text,
        entry_id -> Text,
        lot_id -> Text,
        customer_id -> Text,
        points -> BigInt,
    }
}

diesel::table! {
    pending_points (shop_id, order_id) {
        shop_id -> Text,
        order_id -> Text,
        customer_id -> Text,
        points -> BigInt,
        release_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    expiry_warnings (shop_id, customer_id, expires_at) {
        shop_id -> Text,
        customer_id -> Text,
        expires_at -> Timestamp,
        points -> BigInt,
        created_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(lots, lot_allocations, ledger_entries, points_policies, pending_points);

// The win-back / birthday scan (migration 2026-12-02-010000_offer_scans).
diesel::table! {
    campaign_scans (shop_id) {
        shop_id -> Text,
        cursor_customer -> Nullable<Text>,
        next_cycle_at -> Timestamp,
        updated_at -> Timestamp,
    }
}
// A claim reads its shop and the shop's points policy in one query.
diesel::joinable!(points_policies -> shops (shop_id));
diesel::allow_tables_to_appear_in_same_query!(shops, points_policies);
