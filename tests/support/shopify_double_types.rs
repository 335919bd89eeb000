//! The Shopify double's public types: its configuration, the faults a test
//! sets, the discounts it holds and the figures it counts.

/// Costs in points; Shopify's bucket holds 1,000 on older standard plans and
/// restores 100 points/s (1,000 on Plus). The app is the one at the OAuth
/// endpoint, for the one shop served.
#[derive(Clone, Debug)]
pub struct DoubleConfig {
    pub access_token: String,
    pub bucket_size: f64,
    pub restore_rate: f64,
    pub mutation_cost: f64,
    pub query_cost: f64,
    pub client_id: String,
    pub client_secret: String,
    pub shop: String,
}

impl Default for DoubleConfig {
    fn default() -> Self {
        Self {
            access_token: "shpat_test_double_token".to_string(),
            bucket_size: 1000.0,
            restore_rate: 100.0,
            mutation_cost: 10.0,
            query_cost: 1.0,
            client_id: "test-client".to_string(),
            client_secret: "test-secret-that-is-at-least-32-bytes-long".to_string(),
            shop: "test-shop.myshopify.com".to_string(),
        }
    }
}

#[derive(Clone, Default, Debug)]
pub struct Faults {
    /// Every request answers 503.
    pub down: bool,
    /// The next N requests answer 502.
    pub fail_next: u32,
    /// Share of requests answered with a random 5xx (before doing anything).
    pub error_rate: f64,
    /// Share of mutations applied and then answered by closing the connection.
    pub drop_after_write_rate: f64,
    /// Delay before answering (after applying).
    pub slow_ms: u64,
    /// Creates wait this long before they are applied (a slow server: the
    /// write lands late, and still lands if the client gave up meanwhile).
    pub hold_creates_ms: u64,
    /// THROTTLED as HTTP 429 + Retry-After instead of HTTP 200.
    pub throttle_as_429: bool,
    /// The next create answers `userErrors [{code: <this>}]` and creates nothing.
    pub reject_next_create: Option<String>,
    /// `customerSegmentMembership` and `segments` answer 503.
    pub segments_down: bool,
    /// Every authenticated request is answered this way, before anything is done.
    pub hostile: Option<Hostile>,
}

/// Answers no real Shopify gives, which a merchant-chosen `base_url` can.
#[derive(Clone, Debug)]
pub enum Hostile {
    /// HTTP 429 THROTTLED with this `Retry-After` text (`inf`, `1e300`, `-1`, `NaN`).
    RetryAfter(String),
    /// HTTP 200 THROTTLED whose `throttleStatus` holds these raw JSON number
    /// texts (maximumAvailable, currentlyAvailable, restoreRate).
    ThrottleStatus(String, String, String),
    /// HTTP 200 with this raw body.
    Body(String),
}

/// A discount as its create input gave it (amounts as decimal strings).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DiscountRecord {
    /// `gid://shopify/DiscountCodeNode/N`
    pub id: String,
    pub code: String,
    pub title: String,
    pub amount: String,
    /// Customer gids from `context.customers.add`.
    pub customer_ids: Vec<String>,
    /// Segment gids from `context.customerSegments.add`.
    pub segment_ids: Vec<String>,
    pub applies_on_one_time_purchase: bool,
    pub applies_on_subscription: bool,
    pub recurring_cycle_limit: Option<i64>,
    pub usage_limit: Option<i64>,
    pub applies_once_per_customer: bool,
    /// (order, product, shipping)
    pub combines_with: (bool, bool, bool),
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    pub deleted: bool,
    /// A fraction 0–1.
    pub percentage: Option<f64>,
    pub min_subtotal: Option<String>,
    pub free_shipping: bool,
    pub max_shipping: Option<String>,
}

#[derive(Default, Clone, Debug)]
pub struct Stats {
    /// Every HTTP request received, whatever its fate.
    pub requests: u64,
    pub creates: u64,
    /// Creates refused with TAKEN.
    pub taken: u64,
    /// Deletes through the API (not `delete_out_of_band`).
    pub deletes: u64,
    pub lookups: u64,
    /// THROTTLED answers (200 or 429).
    pub throttled: u64,
    /// 5xx, hostile, internal-error, slow and dropped answers.
    pub faults_injected: u64,
    /// Creates that waited `hold_creates_ms` (counted when they arrive).
    pub held: u64,
}
