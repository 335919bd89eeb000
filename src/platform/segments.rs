//! Segment membership, asked of the platform and cached per customer and
//! segment for a short time. When the platform cannot answer, the caller
//! refuses the claim: membership is never assumed.

use super::shopify::{PlatformError, ShopCreds, ShopifyClient};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

type Key = (String, String, String);

pub(crate) struct SegmentCache {
    ttl: Duration,
    entries: Mutex<HashMap<Key, (bool, Instant)>>,
}

impl SegmentCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self { ttl, entries: Mutex::new(HashMap::new()) }
    }

    /// True when the customer belongs to any of `segments`.
    pub(crate) async fn is_member(
        &self,
        client: &ShopifyClient,
        creds: &ShopCreds,
        customer_id: &str,
        segments: &[String],
    ) -> Result<bool, PlatformError> {
        let mut unknown = Vec::new();
        {
            let entries = self.entries.lock().map_err(|_| PlatformError::Transient("cache poisoned".into()))?;
            for segment in segments {
                let key = (creds.shop.clone(), customer_id.to_string(), segment.clone());
                match entries.get(&key) {
                    Some((true, at)) if at.elapsed() < self.ttl => return Ok(true),
                    Some((false, at)) if at.elapsed() < self.ttl => {}
                    _ => unknown.push(segment.clone()),
                }
            }
        }
        if unknown.is_empty() {
            return Ok(false);
        }
        let answers = client.segment_membership(creds, customer_id, &unknown).await?;
        let now = Instant::now();
        let mut entries = self.entries.lock().map_err(|_| PlatformError::Transient("cache poisoned".into()))?;
        if entries.len() > 100_000 {
            entries.retain(|_, (_, at)| at.elapsed() < self.ttl);
        }
        let mut member = false;
        for segment in unknown {
            let is = answers.get(&segment).copied().unwrap_or(false);
            member |= is;
            entries.insert((creds.shop.clone(), customer_id.to_string(), segment), (is, now));
        }
        Ok(member)
    }
}

/// One of the store's customer segments, as the admin picks them.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub(crate) struct Segment {
    /// `gid://shopify/Segment/N`, as eligibility rules store it.
    pub(crate) id: String,
    pub(crate) name: String,
}

/// The most segments one listing returns (Shopify pages at 250).
const LIST_MAX: usize = 250;

const LIST: &str = "query segments($first: Int) { segments(first: $first) { nodes { id name } } }";

/// The store's segments, by name (the first `LIST_MAX`).
pub(crate) async fn list(client: &ShopifyClient, creds: &ShopCreds) -> Result<Vec<Segment>, PlatformError> {
    let variables = serde_json::json!({"first": LIST_MAX});
    let data = client.graphql(creds, LIST, variables, super::shopify::QUERY_COST).await?;
    let mut segments: Vec<Segment> = data["segments"]["nodes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| Some(Segment { id: n["id"].as_str()?.to_string(), name: n["name"].as_str()?.to_string() }))
        .collect();
    segments.sort_by_key(|s| s.name.to_lowercase());
    Ok(segments)
}
