//! Campaign offers at Shopify: fixed amounts and
//! percentages through `discountCodeBasicCreate` (a percentage is sent as a
//! FRACTION 0–1), free shipping through `discountCodeFreeShippingCreate`;
//! both bound to one customer, usable once, ending at the offer's expiry,
//! with the minimum subtotal as `minimumRequirement`.

use super::{combines_with, first_user_error, only_customer, PlatformError, ShopCreds, ShopifyClient, MUTATION_COST};
use crate::domain::program::CombinesWith;
use serde_json::{json, Value};

/// What the code gives.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum OfferValue {
    /// A money amount off the order (decimal string).
    Amount(String),
    /// A fraction of the order, 0 < f ≤ 1 (15 % → 0.15).
    Fraction(f64),
    /// Free shipping up to this shipping price (decimal string), or any.
    FreeShipping(Option<String>),
}

/// An offer's discount as the platform should hold it.
#[derive(Debug, Clone)]
pub(crate) struct OfferDiscountInput {
    pub(crate) title: String,
    pub(crate) code: String,
    pub(crate) customer_id: String,
    pub(crate) value: OfferValue,
    /// `minimumRequirement.subtotal.greaterThanOrEqualToSubtotal` (decimal string).
    pub(crate) min_subtotal: Option<String>,
    pub(crate) one_time: bool,
    pub(crate) subscription: bool,
    pub(crate) combines_with: CombinesWith,
    pub(crate) starts_at: String,
    pub(crate) ends_at: Option<String>,
}

const BASIC: &str = "mutation discountCodeBasicCreate($basicCodeDiscount: DiscountCodeBasicInput!) { discountCodeBasicCreate(basicCodeDiscount: $basicCodeDiscount) { codeDiscountNode { id } userErrors { field code message } } }";
const FREE_SHIPPING: &str = "mutation discountCodeFreeShippingCreate($freeShippingCodeDiscount: DiscountCodeFreeShippingInput!) { discountCodeFreeShippingCreate(freeShippingCodeDiscount: $freeShippingCodeDiscount) { codeDiscountNode { id } userErrors { field code message } } }";

/// The fields both mutations share.
fn common(input: &OfferDiscountInput) -> serde_json::Map<String, Value> {
    let mut fields = json!({
        "title": input.title,
        "code": input.code,
        "startsAt": input.starts_at,
        "endsAt": input.ends_at,
        "context": only_customer(&input.customer_id),
        "usageLimit": 1,
        "appliesOncePerCustomer": true,
        "combinesWith": combines_with(input.combines_with),
    });
    if let Some(min) = &input.min_subtotal {
        fields["minimumRequirement"] = json!({"subtotal": {"greaterThanOrEqualToSubtotal": min}});
    }
    if input.subscription {
        // A subscription gets the offer on its first payment only.
        fields["recurringCycleLimit"] = json!(1);
    }
    match fields {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

/// The mutation, its variable name and the variables for `input`.
fn offer_mutation(input: &OfferDiscountInput) -> (&'static str, &'static str, Value) {
    let mut fields = common(input);
    match &input.value {
        OfferValue::FreeShipping(max) => {
            fields.insert("destination".into(), json!({"all": true}));
            if let Some(max) = max {
                fields.insert("maximumShippingPrice".into(), json!(max));
            }
            fields.insert("appliesOnOneTimePurchase".into(), json!(input.one_time));
            fields.insert("appliesOnSubscription".into(), json!(input.subscription));
            let variables = json!({"freeShippingCodeDiscount": fields});
            (FREE_SHIPPING, "discountCodeFreeShippingCreate", variables)
        }
        value => {
            let value = match value {
                OfferValue::Fraction(fraction) => json!({"percentage": fraction}),
                OfferValue::Amount(amount) => json!({"discountAmount": {"amount": amount, "appliesOnEachItem": false}}),
                OfferValue::FreeShipping(_) => Value::Null,
            };
            fields.insert(
                "customerGets".into(),
                json!({"value": value, "items": {"all": true},
                       "appliesOnOneTimePurchase": input.one_time, "appliesOnSubscription": input.subscription}),
            );
            (BASIC, "discountCodeBasicCreate", json!({"basicCodeDiscount": fields}))
        }
    }
}

impl ShopifyClient {
    /// Creates the offer's discount; the node id on success.
    pub(crate) async fn create_offer_discount(
        &self,
        creds: &ShopCreds,
        input: &OfferDiscountInput,
    ) -> Result<String, PlatformError> {
        let (query, root, variables) = offer_mutation(input);
        let data = self.graphql(creds, query, variables, MUTATION_COST).await?;
        let result = &data[root];
        if let Some(error) = first_user_error(result) {
            return Err(error.refusing_create());
        }
        result["codeDiscountNode"]["id"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| PlatformError::Transient("create answered without a node id".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(value: OfferValue) -> OfferDiscountInput {
        OfferDiscountInput {
            title: "t".into(),
            code: "C".into(),
            customer_id: "7".into(),
            value,
            min_subtotal: Some("40.00".into()),
            one_time: true,
            subscription: false,
            combines_with: CombinesWith { order: false, product: true, shipping: false },
            starts_at: "2026-01-01T00:00:00Z".into(),
            ends_at: None,
        }
    }

    #[test]
    fn percentages_go_as_fractions_and_free_shipping_has_its_own_mutation() {
        let (_, root, v) = offer_mutation(&input(OfferValue::Fraction(0.15)));
        assert_eq!(root, "discountCodeBasicCreate");
        assert_eq!(v["basicCodeDiscount"]["customerGets"]["value"]["percentage"], 0.15);
        assert_eq!(v["basicCodeDiscount"]["minimumRequirement"]["subtotal"]["greaterThanOrEqualToSubtotal"], "40.00");
        let (_, root, v) = offer_mutation(&input(OfferValue::FreeShipping(Some("8.00".into()))));
        assert_eq!(root, "discountCodeFreeShippingCreate");
        assert_eq!(v["freeShippingCodeDiscount"]["maximumShippingPrice"], "8.00");
        assert!(v["freeShippingCodeDiscount"]["customerGets"].is_null());
        let context = serde_json::json!({"customers": {"add": ["gid://shopify/Customer/7"]}});
        assert_eq!(v["freeShippingCodeDiscount"]["context"], context);
        assert!(v["freeShippingCodeDiscount"].get("customerSelection").is_none(), "deprecated");
    }
}
