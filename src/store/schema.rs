// One schema for both dialects; kept in step with migrations/{sqlite,postgres}.

diesel::table! {
    shops (id) {
        id -> Text,
        currency -> Text,
        earn_points_per_unit -> Text,
        platform_kind -> Text,
        platform_access_token -> Nullable<Text>,
        platform_api_version -> Nullable<Text>,
        platform_base_url -> Nullable<Text>,
        platform_enabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        locale -> Text,
    }
}

diesel::table! {
    programs (shop_id, channel, version) {
        shop_id -> Text,
        channel -> Text,
        version -> BigInt,
        settings -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    customers (shop_id, id) {
        shop_id -> Text,
        id -> Text,
        points_balance -> BigInt,
        email -> Nullable<Text>,
        display_name -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        redacted_at -> Nullable<Timestamp>,
        first_name -> Nullable<Text>,
        last_name -> Nullable<Text>,
        phone -> Nullable<Text>,
    }
}

diesel::table! {
    claims (shop_id, id) {
        shop_id -> Text,
        id -> Text,
        customer_id -> Text,
        channel -> Text,
        code -> Text,
        points -> BigInt,
        value_minor -> BigInt,
        currency -> Text,
        purchase_type -> Text,
        status -> Text,
        program_version -> BigInt,
        program_snapshot -> Text,
        platform_id -> Nullable<Text>,
        order_id -> Nullable<Text>,
        order_subtotal_minor -> Nullable<BigInt>,
        failure_reason -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        used_at -> Nullable<Timestamp>,
        refunded_at -> Nullable<Timestamp>,
        flag -> Nullable<Text>,
        cancelled_by -> Nullable<Text>,
    }
}

diesel::table! {
    ledger_entries (shop_id, id) {
        shop_id -> Text,
        id -> Text,
        customer_id -> Text,
        delta -> BigInt,
        balance_after -> BigInt,
        kind -> Text,
        claim_id -> Nullable<Text>,
        order_id -> Nullable<Text>,
        reason -> Nullable<Text>,
        created_at -> Timestamp,
        pending_delta -> BigInt,
        actor -> Nullable<Text>,
    }
}

diesel::table! {
    outbox (shop_id, id) {
        shop_id -> Text,
        id -> Text,
        claim_id -> Text,
        action -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    idempotency_keys (shop_id, principal, key) {
        shop_id -> Text,
        principal -> Text,
        key -> Text,
        request_hash -> Text,
        status_code -> Integer,
        response_body -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    webhook_events (shop_id, event_id) {
        shop_id -> Text,
        event_id -> Text,
        topic -> Text,
        outcome -> Text,
        received_at -> Timestamp,
    }
}

diesel::table! {
    data_requests (shop_id, id) {
        shop_id -> Text,
        id -> Text,
        customer_id -> Text,
        orders_requested -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    order_earnings (shop_id, order_id) {
        shop_id -> Text,
        order_id -> Text,
        customer_id -> Text,
        subtotal_minor -> BigInt,
        refunded_minor -> BigInt,
        points_earned -> BigInt,
        points_reversed -> BigInt,
        points_unrecovered -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    webhook_events,
    data_requests,
    order_earnings,
    shops,
    programs,
    customers,
    claims,
    ledger_entries,
    outbox,
    idempotency_keys,
);

// ---- outgoing merchant webhooks (notify)

diesel::table! {
    shop_notify (shop_id) {
        shop_id -> Text,
        url -> Text,
        secret -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    notifications (shop_id, id) {
        shop_id -> Text,
        id -> Text,
        event_type -> Text,
        body -> Text,
        status -> Text,
        attempts -> Integer,
        next_attempt_at -> Timestamp,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        delivered_at -> Nullable<Timestamp>,
    }
}

diesel::allow_tables_to_appear_in_same_query!(shop_notify, notifications);

// ---------------------------------------------------------------------------
// Campaigns and offers (migration 2026-12-01-000003_campaigns).

diesel::table! {
    campaigns (shop_id, id) {
        shop_id -> Text,
        id -> Text,
        version -> BigInt,
        enabled -> Bool,
        paused_reason -> Nullable<Text>,
        settings -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    campaign_versions (shop_id, campaign_id, version) {
        shop_id -> Text,
        campaign_id -> Text,
        version -> BigInt,
        settings -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    campaign_counters (shop_id, campaign_id) {
        shop_id -> Text,
        campaign_id -> Text,
        reserved_minor -> BigInt,
        total_minor -> BigInt,
    }
}

diesel::table! {
    campaign_buckets (shop_id, campaign_id, bucket) {
        shop_id -> Text,
        campaign_id -> Text,
        bucket -> Text,
        codes -> BigInt,
    }
}

diesel::table! {
    campaign_customer_counts (shop_id, campaign_id, customer_id) {
        shop_id -> Text,
        campaign_id -> Text,
        customer_id -> Text,
        window_start -> Timestamp,
        codes -> BigInt,
    }
}

diesel::table! {
    customer_facts (shop_id, customer_id) {
        shop_id -> Text,
        customer_id -> Text,
        first_name -> Nullable<Text>,
        email -> Nullable<Text>,
        birthday -> Nullable<Text>,
        order_count -> BigInt,
        last_order_at -> Nullable<Timestamp>,
        last_offer_at -> Nullable<Timestamp>,
        welcomed_at -> Nullable<Timestamp>,
        win_back_at -> Nullable<Timestamp>,
        birthday_year -> Nullable<Integer>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    campaign_events (shop_id, id) {
        shop_id -> Text,
        id -> Text,
        customer_id -> Text,
        kind -> Text,
        name -> Nullable<Text>,
        source -> Text,
        order_id -> Nullable<Text>,
        cart_id -> Nullable<Text>,
        subtotal_minor -> Nullable<BigInt>,
        data -> Text,
        occurred_at -> Timestamp,
        created_at -> Timestamp,
    }
}

diesel::table! {
    offers (shop_id, id) {
        shop_id -> Text,
        id -> Text,
        campaign_id -> Text,
        campaign_version -> BigInt,
        customer_id -> Text,
        event_id -> Text,
        trigger_kind -> Text,
        cart_id -> Nullable<Text>,
        status -> Text,
        reason -> Nullable<Text>,
        code -> Nullable<Text>,
        discount -> Nullable<Text>,
        reserved_minor -> BigInt,
        value_minor -> BigInt,
        platform_id -> Nullable<Text>,
        order_id -> Nullable<Text>,
        order_subtotal_minor -> Nullable<BigInt>,
        due_at -> Timestamp,
        occurred_at -> Timestamp,
        issued_at -> Nullable<Timestamp>,
        expires_at -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    shop_offer_settings (shop_id) {
        shop_id -> Text,
        timezone -> Text,
        min_hours_between_offers -> Nullable<Text>,
        blocked_customers -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    checkout_failures (shop_id, customer_id, bucket) {
        shop_id -> Text,
        customer_id -> Text,
        bucket -> Text,
        failures -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(campaigns, campaign_versions, offers, campaign_events, shops);
// --- Install ---------------------------------------------------------------

diesel::table! {
    oauth_states (shop_id, state) {
        shop_id -> Text,
        state -> Text,
        expires_at -> Timestamp,
        created_at -> Timestamp,
    }
}

pub(crate) use super::schema_lots::*;
