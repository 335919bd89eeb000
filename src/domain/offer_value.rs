//! What an offer code takes off a cart: a fixed amount (never more than the
//! subtotal), a percentage rounded down to the minor unit, or free shipping
//! (worth the shipping, which the checkout knows: reported as its cap).

use super::campaign::{Discount, DiscountKind};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum OfferValue {
    /// Minor units off the subtotal.
    Amount(i64),
    /// Free shipping, up to this many minor units (None: unlimited).
    Shipping(Option<i64>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BelowMinimum {
    pub(crate) min_subtotal_minor: i64,
}

/// The value of `discount` on a cart of `subtotal_minor` (≥ 0).
pub(crate) fn value_off(discount: &Discount, subtotal_minor: i64) -> Result<OfferValue, BelowMinimum> {
    let subtotal = subtotal_minor.max(0);
    if let Some(min) = discount.min_subtotal_minor.filter(|&min| subtotal < min) {
        return Err(BelowMinimum { min_subtotal_minor: min });
    }
    Ok(match discount.kind {
        DiscountKind::FixedAmount => OfferValue::Amount(discount.amount_minor.unwrap_or(0).clamp(0, subtotal)),
        DiscountKind::Percentage => OfferValue::Amount(percent_of(subtotal, discount.percentage.unwrap_or_default())),
        DiscountKind::FreeShipping => OfferValue::Shipping(discount.max_shipping_minor),
    })
}

/// `percent` % of `subtotal`, rounded down, never more than the subtotal.
fn percent_of(subtotal: i64, percent: Decimal) -> i64 {
    let percent = percent.clamp(Decimal::ZERO, Decimal::ONE_HUNDRED);
    let exact = Decimal::from(subtotal) * percent / Decimal::ONE_HUNDRED;
    exact.floor().to_i64().unwrap_or(0).clamp(0, subtotal)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::program::{CombinesWith, PurchaseTypes};
    use proptest::prelude::*;

    fn discount(kind: DiscountKind) -> Discount {
        Discount {
            kind,
            amount_minor: Some(1_000),
            percentage: Some(Decimal::new(15, 0)),
            max_shipping_minor: Some(800),
            min_subtotal_minor: Some(4_000),
            purchase_type: PurchaseTypes::OneTime,
            combines_with: CombinesWith::default(),
            currency: "USD".into(),
        }
    }

    #[test]
    fn each_kind_on_a_cart() {
        assert_eq!(value_off(&discount(DiscountKind::Percentage), 4_999), Ok(OfferValue::Amount(749)));
        assert_eq!(value_off(&discount(DiscountKind::FixedAmount), 4_000), Ok(OfferValue::Amount(1_000)));
        assert_eq!(value_off(&discount(DiscountKind::FreeShipping), 9_000), Ok(OfferValue::Shipping(Some(800))));
        assert_eq!(
            value_off(&discount(DiscountKind::Percentage), 3_999),
            Err(BelowMinimum { min_subtotal_minor: 4_000 })
        );
        let mut no_minimum = discount(DiscountKind::FixedAmount);
        no_minimum.min_subtotal_minor = None;
        assert_eq!(value_off(&no_minimum, 300), Ok(OfferValue::Amount(300)), "never more than the subtotal");
    }

    proptest! {
        #[test]
        fn a_percentage_rounds_down_and_never_exceeds_the_subtotal(subtotal in 0i64..=i64::MAX / 100, tenths in 10u32..=1000) {
            let percent = Decimal::new(i64::from(tenths), 1);
            let value = percent_of(subtotal, percent);
            prop_assert!(value >= 0 && value <= subtotal);
            let exact = Decimal::from(subtotal) * percent / Decimal::ONE_HUNDRED;
            prop_assert!(Decimal::from(value) <= exact && exact < Decimal::from(value) + Decimal::ONE);
        }

        #[test]
        fn a_fixed_amount_never_exceeds_the_subtotal(subtotal in 0i64..10_000_000, amount in 0i64..10_000_000) {
            let mut d = discount(DiscountKind::FixedAmount);
            d.min_subtotal_minor = None;
            d.amount_minor = Some(amount);
            prop_assert_eq!(value_off(&d, subtotal), Ok(OfferValue::Amount(amount.min(subtotal))));
        }
    }
}
