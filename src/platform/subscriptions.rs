//! Webhook subscriptions made at install with `webhookSubscriptionCreate`:
//! every topic the service handles (the privacy topics are declared in
//! shopify.app.toml instead; they cannot be subscribed by API). Subscribing
//! again (a reinstall) answers "already been taken", which counts as done.

use super::shopify::topic::Topic;
use super::shopify::{first_user_error, PlatformError, ShopCreds, ShopifyClient, MUTATION_COST};
use serde_json::json;

/// The path the platform delivers webhooks to, under `LOYALTY_APP_URL`.
pub const WEBHOOK_PATH: &str = "/webhooks/shopify";

const CREATE: &str = "mutation webhookSubscriptionCreate($topic: WebhookSubscriptionTopic!, $webhookSubscription: WebhookSubscriptionInput!) { webhookSubscriptionCreate(topic: $topic, webhookSubscription: $webhookSubscription) { webhookSubscription { id topic } userErrors { field message } } }";

/// What subscribing did, per topic.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Subscribed {
    pub(crate) created: usize,
    pub(crate) existing: usize,
    pub(crate) failed: Vec<(String, String)>,
}

/// Subscribes every topic of `Topic::SUBSCRIBED` to `{app_url}/webhooks/shopify`.
pub(crate) async fn subscribe_all(client: &ShopifyClient, creds: &ShopCreds, app_url: &str) -> Subscribed {
    let callback = format!("{}{WEBHOOK_PATH}", app_url.trim_end_matches('/'));
    let mut done = Subscribed::default();
    for topic in Topic::SUBSCRIBED {
        let topic = topic.graphql();
        match subscribe(client, creds, &topic, &callback).await {
            Ok(true) => done.created += 1,
            Ok(false) => done.existing += 1,
            Err(error) => done.failed.push((topic, format!("{error:?}"))),
        }
    }
    if done.failed.is_empty() {
        tracing::info!(shop = %creds.shop, created = done.created, existing = done.existing, "webhooks subscribed");
    } else {
        tracing::warn!(shop = %creds.shop, failed = ?done.failed, "some webhook subscriptions failed");
    }
    done
}

/// True when created, false when it existed already.
async fn subscribe(
    client: &ShopifyClient,
    creds: &ShopCreds,
    topic: &str,
    callback: &str,
) -> Result<bool, PlatformError> {
    // `uri`, not `callbackUrl` (deprecated in every supported version).
    let variables = json!({"topic": topic, "webhookSubscription": {"uri": callback, "format": "JSON"}});
    let mut attempt = 0;
    let data = loop {
        match client.graphql(creds, CREATE, variables.clone(), MUTATION_COST).await {
            Err(PlatformError::Throttled(_) | PlatformError::Transient(_)) if attempt < 2 => {
                attempt += 1;
                tokio::time::sleep(wait_of(attempt)).await;
            }
            other => break other?,
        }
    };
    let result = &data["webhookSubscriptionCreate"];
    match first_user_error(result) {
        Some(error) if error.message.to_ascii_lowercase().contains("already been taken") => Ok(false),
        Some(error) => Err(PlatformError::Rejected(error.message)),
        None if result["webhookSubscription"]["id"].is_string() => Ok(true),
        None => Err(PlatformError::Transient("answer without a subscription id".into())),
    }
}

fn wait_of(attempt: u32) -> std::time::Duration {
    std::time::Duration::from_millis(200 * u64::from(attempt))
}
