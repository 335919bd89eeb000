//! Shopify's webhook topics the service handles: the word the platform
//! sends in `X-Shopify-Topic` (kept in `webhook_events.topic`) and the
//! GraphQL enum a subscription names. Unknown topics are recorded as sent
//! and ignored; they never become a `Topic`.

use crate::domain::state::stored_state;

stored_state! {
    /// A handled webhook topic.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Topic("webhook topic") {
        OrdersCreate = "orders/create",
        OrdersPaid = "orders/paid",
        RefundsCreate = "refunds/create",
        DiscountsDelete = "discounts/delete",
        AppUninstalled = "app/uninstalled",
        CustomersCreate = "customers/create",
        CheckoutsCreate = "checkouts/create",
        CheckoutsUpdate = "checkouts/update",
        CustomersDataRequest = "customers/data_request",
        CustomersRedact = "customers/redact",
        ShopRedact = "shop/redact",
    }
}

impl Topic {
    /// The topics subscribed by API at install, in subscription order.
    pub const SUBSCRIBED: &'static [Topic] = &[
        Topic::OrdersCreate,
        Topic::OrdersPaid,
        Topic::RefundsCreate,
        Topic::DiscountsDelete,
        Topic::AppUninstalled,
        Topic::CustomersCreate,
        Topic::CheckoutsCreate,
        Topic::CheckoutsUpdate,
    ];

    /// Declared in shopify.app.toml (`compliance_topics`), not subscribed by API.
    pub const PRIVACY: &'static [Topic] = &[Topic::CustomersDataRequest, Topic::CustomersRedact, Topic::ShopRedact];

    /// The `WebhookSubscriptionTopic` GraphQL enum value: the word in
    /// capitals with `_` for `/` (`orders/paid` → `ORDERS_PAID`).
    pub(crate) fn graphql(self) -> String {
        self.as_str().replace('/', "_").to_ascii_uppercase()
    }
}

#[cfg(test)]
mod tests {
    use super::Topic;

    #[test]
    fn every_topic_is_subscribed_or_declared_once() {
        for topic in Topic::ALL {
            let places = Topic::SUBSCRIBED.contains(topic) as usize + Topic::PRIVACY.contains(topic) as usize;
            assert_eq!(places, 1, "{topic}");
        }
        assert_eq!(Topic::OrdersPaid.graphql(), "ORDERS_PAID");
        assert_eq!(Topic::AppUninstalled.graphql(), "APP_UNINSTALLED");
        assert_eq!(Topic::from_stored("orders/paid"), Some(Topic::OrdersPaid));
        assert_eq!(Topic::from_stored("products/update"), None);
    }
}
