//! The Shopify Admin GraphQL client: discount codes and segment membership,
//! with errors sorted into what may be retried and what may not. Its
//! submodules hold Shopify's payload shapes: webhook bodies become domain
//! events (`payloads`, `events`) and take effect (`webhooks`).

pub(crate) mod events;
pub(crate) mod offers;
pub mod payloads;
pub mod topic;
pub mod version;
pub mod webhooks;

use super::throttle::{clamp_wait, Pacer, ThrottleStatus};
use crate::domain::program::CombinesWith;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

/// Where and how to reach one shop's Admin API. The token is never logged.
#[derive(Clone)]
pub(crate) struct ShopCreds {
    pub(crate) shop: String,
    pub(crate) base_url: String,
    pub(crate) access_token: String,
    pub(crate) api_version: String,
}

impl ShopCreds {
    /// How to reach the shop's platform; None for native or disconnected
    /// (uninstalled) shops, or a token that does not open with the keys.
    /// `base_url` defaults to `LOYALTY_SHOPIFY_BASE_URL`, then `https://{shop}`.
    pub(crate) fn of(shop: &crate::store::shops::ShopRow, settings: &crate::config::PlatformSettings) -> Option<Self> {
        if shop.is_native() || !shop.platform_enabled {
            return None;
        }
        let access_token = match settings.tokens.open(&shop.id, shop.platform_access_token.as_deref()?) {
            Ok(token) => token,
            Err(error) => {
                tracing::error!(shop = %shop.id, %error, "the stored access token cannot be opened");
                return None;
            }
        };
        Some(Self {
            shop: shop.id.clone(),
            base_url: shop.platform_base_url.clone().unwrap_or_else(|| settings.shopify_base(&shop.id)),
            access_token,
            api_version: shop.platform_api_version.clone().unwrap_or_else(|| settings.api_version.clone()),
        })
    }
}

impl std::fmt::Debug for ShopCreds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ShopCreds({} via {})", self.shop, self.base_url)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PlatformError {
    /// Refused for the rate limit; nothing happened. Try again after the wait.
    Throttled(Duration),
    /// Failed or unknown outcome (timeout, dropped connection, 5xx, 401 while
    /// a merchant fixes a token): retry, after checking what exists.
    Transient(String),
    /// The code exists already (a retry after an ambiguous failure).
    Taken,
    /// Refused for good (user errors, invalid query).
    Rejected(String),
}

/// The discount as the platform should hold it.
#[derive(Debug, Clone)]
pub(crate) struct DiscountInput {
    pub(crate) title: String,
    pub(crate) code: String,
    pub(crate) amount: String,
    pub(crate) customer_id: String,
    pub(crate) one_time: bool,
    pub(crate) subscription: bool,
    pub(crate) recurring_cycle_limit: Option<i64>,
    pub(crate) combines_with: CombinesWith,
    pub(crate) starts_at: String,
    pub(crate) ends_at: Option<String>,
}

pub(crate) const MUTATION_COST: f64 = 10.0;
pub(crate) const QUERY_COST: f64 = 1.0;
/// The longest a request waits for the pacer in place; a longer wait is
/// answered as throttled, so a shopper's request does not sit and a relay
/// slot is not held by one shop's bucket (the row is rescheduled instead).
const PATIENCE: Duration = Duration::from_secs(2);

const CREATE: &str = "mutation discountCodeBasicCreate($basicCodeDiscount: DiscountCodeBasicInput!) { discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) { codeDiscountNode { id } userErrors { field code message } } }";
const LOOKUP: &str = "query codeDiscountNodeByCode($code: String!) { codeDiscountNodeByCode(code: $code) { id } }";
const DELETE: &str = "mutation discountCodeDelete($id: ID!) { discountCodeDelete(id: $id) { deletedCodeDiscountId userErrors { field code message } } }";
const SEGMENTS: &str = "query customerSegmentMembership($customerId: ID!, $segmentIds: [ID!]!) { customerSegmentMembership(customerId: $customerId, segmentIds: $segmentIds) { memberships { segmentId isMember } } }";

pub(crate) struct ShopifyClient {
    http: reqwest::Client,
    pacer: Pacer,
    /// The longest wait a platform answer may ask for.
    max_wait: Duration,
}

fn customer_gid(id: &str) -> String {
    format!("gid://shopify/Customer/{id}")
}

/// Who may use a code bound to one customer: the discount's `context`
/// (`customerSelection`, deprecated in every supported version, is gone).
fn only_customer(id: &str) -> Value {
    json!({"customers": {"add": [customer_gid(id)]}})
}

fn segment_gid(id: &str) -> String {
    if id.starts_with("gid://") {
        id.to_string()
    } else {
        format!("gid://shopify/Segment/{id}")
    }
}

impl ShopifyClient {
    pub(crate) fn new(
        connect_timeout: Duration,
        request_timeout: Duration,
        max_wait: Duration,
    ) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .timeout(request_timeout)
            .pool_max_idle_per_host(32)
            .build()?;
        Ok(Self { http, pacer: Pacer::new(max_wait), max_wait })
    }

    pub(crate) async fn create_discount(
        &self,
        creds: &ShopCreds,
        input: &DiscountInput,
    ) -> Result<String, PlatformError> {
        let variables = json!({"basicCodeDiscount": {
            "title": input.title,
            "code": input.code,
            "startsAt": input.starts_at,
            "endsAt": input.ends_at,
            "context": only_customer(&input.customer_id),
            "customerGets": {
                "value": {"discountAmount": {"amount": input.amount, "appliesOnEachItem": false}},
                "items": {"all": true},
                "appliesOnOneTimePurchase": input.one_time,
                "appliesOnSubscription": input.subscription,
            },
            "recurringCycleLimit": input.recurring_cycle_limit,
            "usageLimit": 1,
            "appliesOncePerCustomer": true,
            "combinesWith": combines_with(input.combines_with),
        }});
        let data = self.graphql(creds, CREATE, variables, MUTATION_COST).await?;
        let result = &data["discountCodeBasicCreate"];
        if let Some(error) = first_user_error(result) {
            return Err(error.refusing_create());
        }
        result["codeDiscountNode"]["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| PlatformError::Transient("create answered without a node id".into()))
    }

    pub(crate) async fn find_by_code(&self, creds: &ShopCreds, code: &str) -> Result<Option<String>, PlatformError> {
        let data = self.graphql(creds, LOOKUP, json!({"code": code}), QUERY_COST).await?;
        Ok(data["codeDiscountNodeByCode"]["id"].as_str().map(str::to_string))
    }

    /// Deletes a discount; true when it is gone (now or before).
    pub(crate) async fn delete_discount(&self, creds: &ShopCreds, id: &str) -> Result<bool, PlatformError> {
        let data = self.graphql(creds, DELETE, json!({"id": id}), MUTATION_COST).await?;
        let result = &data["discountCodeDelete"];
        if result["deletedCodeDiscountId"].as_str().is_some() {
            return Ok(true);
        }
        match first_user_error(result) {
            Some(error) if error.message.to_ascii_lowercase().contains("does not exist") => Ok(true),
            Some(error) => Err(PlatformError::Rejected(error.message)),
            None => Ok(false),
        }
    }

    pub(crate) async fn segment_membership(
        &self,
        creds: &ShopCreds,
        customer_id: &str,
        segments: &[String],
    ) -> Result<HashMap<String, bool>, PlatformError> {
        let ids: Vec<String> = segments.iter().map(|s| segment_gid(s)).collect();
        let variables = json!({"customerId": customer_gid(customer_id), "segmentIds": ids});
        let data = self.graphql(creds, SEGMENTS, variables, QUERY_COST).await?;
        let mut members = HashMap::new();
        for m in data["customerSegmentMembership"]["memberships"].as_array().into_iter().flatten() {
            if let (Some(id), Some(is)) = (m["segmentId"].as_str(), m["isMember"].as_bool()) {
                let plain = segments.iter().find(|s| segment_gid(s) == id).cloned().unwrap_or_else(|| id.to_string());
                members.insert(plain, is);
            }
        }
        Ok(members)
    }

    /// How long a create or delete for `shop` would wait for the pacer now
    /// (nothing booked); None when it could be sent at once.
    pub(crate) fn mutation_wait(&self, shop: &str) -> Option<Duration> {
        self.pacer.wait_now(shop, MUTATION_COST)
    }

    /// The HTTP client (shared with the OAuth calls).
    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub(crate) async fn graphql(
        &self,
        creds: &ShopCreds,
        query: &str,
        variables: Value,
        cost: f64,
    ) -> Result<Value, PlatformError> {
        self.pacer.acquire(&creds.shop, cost, PATIENCE).await.map_err(PlatformError::Throttled)?;
        let url = format!("{}/admin/api/{}/graphql.json", creds.base_url.trim_end_matches('/'), creds.api_version);
        let sent = self
            .http
            .post(&url)
            .header("X-Shopify-Access-Token", &creds.access_token)
            .json(&json!({"query": query, "variables": variables}))
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(error) => {
                self.pacer.release(&creds.shop, cost, error.is_connect());
                return Err(PlatformError::Transient(format!("request failed: {}", without_url(&error))));
            }
        };
        let status = response.status();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<f64>().ok());
        let body: Value = response.json().await.unwrap_or(Value::Null);
        match throttle_status(&body) {
            Some(throttle) => self.pacer.observe(&creds.shop, throttle),
            None => self.pacer.release(&creds.shop, cost, status.is_server_error()),
        }
        classify(status, retry_after, body, cost, self.max_wait)
    }
}

fn classify(
    status: reqwest::StatusCode,
    retry_after: Option<f64>,
    body: Value,
    cost: f64,
    max_wait: Duration,
) -> Result<Value, PlatformError> {
    if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Err(PlatformError::Throttled(clamp_wait(retry_after.unwrap_or(1.0).max(0.05), max_wait)));
    }
    if !status.is_success() {
        return Err(PlatformError::Transient(format!("HTTP {status}")));
    }
    if let Some(errors) = body["errors"].as_array().filter(|e| !e.is_empty()) {
        if errors.iter().any(|e| e["extensions"]["code"] == "THROTTLED") {
            let wait =
                throttle_status(&body).map(|t| (cost - t.currently_available).max(0.0) / t.restore_rate).unwrap_or(1.0);
            return Err(PlatformError::Throttled(clamp_wait(wait.max(0.05), max_wait)));
        }
        if errors.iter().any(|e| e["extensions"]["code"] == "INTERNAL_SERVER_ERROR") {
            // Shopify's 500 in a 200: the operation may or may not have run.
            return Err(PlatformError::Transient(format!("platform internal error: {}", errors[0]["message"])));
        }
        return Err(PlatformError::Rejected(format!("GraphQL errors: {}", errors[0]["message"])));
    }
    match body.get("data") {
        Some(data) if data.is_object() => Ok(data.clone()),
        _ => Err(PlatformError::Transient("answer without data".into())),
    }
}

/// The bucket figures of an answer, validated and clamped (None when absent
/// or unusable).
fn throttle_status(body: &Value) -> Option<ThrottleStatus> {
    let t = &body["extensions"]["cost"]["throttleStatus"];
    ThrottleStatus {
        maximum_available: t["maximumAvailable"].as_f64()?,
        currently_available: t["currentlyAvailable"].as_f64()?,
        restore_rate: t["restoreRate"].as_f64()?,
    }
    .sanitized()
}

/// The first of a mutation's `userErrors`.
pub(crate) struct UserError {
    pub(crate) code: String,
    pub(crate) message: String,
}

impl UserError {
    /// A refused create: the code is `TAKEN` already, or refused for good.
    fn refusing_create(self) -> PlatformError {
        if self.code == "TAKEN" {
            PlatformError::Taken
        } else {
            PlatformError::Rejected(self.message)
        }
    }
}

pub(crate) fn first_user_error(result: &Value) -> Option<UserError> {
    let error = result["userErrors"].as_array()?.first()?;
    Some(UserError {
        code: error["code"].as_str().unwrap_or("").to_string(),
        message: error["message"].as_str().unwrap_or("user error").to_string(),
    })
}

/// `combinesWith` as the discount mutations take it.
fn combines_with(with: CombinesWith) -> Value {
    json!({"orderDiscounts": with.order, "productDiscounts": with.product, "shippingDiscounts": with.shipping})
}

/// reqwest errors print the URL; ours never carry secrets, but keep logs short.
fn without_url(error: &reqwest::Error) -> String {
    let kind = if error.is_timeout() {
        "timeout"
    } else if error.is_connect() {
        "connect"
    } else {
        "io"
    };
    format!("{kind}: {error}")
}
