//! Points an order earns, and the points its refunds take back: pure
//! arithmetic over minor units, so the rules can be checked exhaustively.

use super::money::{Currency, Money};
use super::points::MAX_POINTS;
use rust_decimal::Decimal;
use std::str::FromStr;

/// Points per unit of currency spent (the shop's earn rate: "1" → 45.00 earns 45).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EarnRate(Decimal);

impl EarnRate {
    /// A rate as stored: a plain decimal, zero or more.
    pub(crate) fn parse(raw: &str) -> Result<Self, String> {
        let rate = Decimal::from_str(raw).map_err(|_| format!("earn rate {raw:?} is not a decimal number"))?;
        if rate.is_sign_negative() && !rate.is_zero() {
            return Err(format!("earn rate {raw:?} is negative"));
        }
        Ok(Self(rate))
    }

    /// floor(amount × rate): points are whole and never over-granted. One
    /// order earns at most [`MAX_POINTS`] (as any one operation moves at most
    /// that), so a huge order cannot push a balance past i64.
    pub(crate) fn points_for(self, paid_minor: i64, currency: Currency) -> i64 {
        let amount = Decimal::new(paid_minor.max(0), currency.digits());
        let Some(points) = amount.checked_mul(self.0) else {
            return MAX_POINTS;
        };
        i64::try_from(points.floor()).map_or(MAX_POINTS, |p| p.clamp(0, MAX_POINTS))
    }
}

/// What an order earned, and what its refunds took back so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct OrderEarning {
    pub(crate) subtotal_minor: i64,
    pub(crate) refunded_minor: i64,
    pub(crate) points_earned: i64,
    pub(crate) points_reversed: i64,
    /// Points a refund should have taken back but the customer no longer had.
    pub(crate) points_unrecovered: i64,
}

/// The points one more refund takes back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reversal {
    /// Every refund of the order so far, at most its subtotal.
    pub(crate) refunded_total: i64,
    /// Points owed back now: the earned points in proportion to the amount
    /// refunded, less what earlier refunds reversed or found missing.
    pub(crate) owed: i64,
}

/// The reversal for `refunded` more out of the order's subtotal; never
/// negative, and all refunds together never owe more than was earned.
pub(crate) fn reversal(earning: &OrderEarning, refunded: Money) -> Reversal {
    let subtotal = earning.subtotal_minor.max(0);
    let refunded_total = earning.refunded_minor.max(0).saturating_add(refunded.minor()).min(subtotal);
    let target = if subtotal == 0 {
        0
    } else {
        let share = i128::from(earning.points_earned.max(0)) * i128::from(refunded_total) / i128::from(subtotal);
        i64::try_from(share).unwrap_or(0)
    };
    let owed = target.saturating_sub(earning.points_reversed).saturating_sub(earning.points_unrecovered).max(0);
    Reversal { refunded_total, owed }
}

/// How owed points come back: first what the order still holds pending,
/// then from the balance, never below zero; the rest is the shortfall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Recovery {
    pub(crate) from_balance: i64,
    /// Points taken back in all (pending and balance).
    pub(crate) taken: i64,
    /// Points owed that could not be taken back (recorded, not forgotten).
    pub(crate) shortfall: i64,
}

/// Splits `owed` after `from_pending` came out of the pending points.
pub(crate) fn recovery(owed: i64, from_pending: i64, balance: i64) -> Recovery {
    let owed = owed.max(0);
    let from_pending = from_pending.clamp(0, owed);
    let from_balance = (owed - from_pending).min(balance.max(0));
    let taken = from_pending + from_balance;
    Recovery { from_balance, taken, shortfall: owed - taken }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn usd() -> Currency {
        Currency::parse("USD").expect("usd")
    }

    fn money(minor: i64) -> Money {
        Money::parse(&Decimal::new(minor, 2).to_string(), usd()).expect("money")
    }

    #[test]
    fn rates_parse_and_earn_whole_points() {
        let rate = EarnRate::parse("1.5").expect("rate");
        assert_eq!(rate.points_for(4_599, usd()), 68, "45.99 × 1.5 = 68.985, rounded down");
        assert_eq!(EarnRate::parse("0").expect("zero").points_for(10_000, usd()), 0);
        for bad in ["abc", "", "-1", "1.2.3"] {
            assert!(EarnRate::parse(bad).is_err(), "{bad}");
        }
        let huge = EarnRate::parse("1000000").expect("rate");
        assert_eq!(huge.points_for(i64::MAX, usd()), MAX_POINTS);
    }

    #[test]
    fn a_third_refunded_takes_a_third_back_and_the_shortfall_is_kept() {
        let earning = OrderEarning { subtotal_minor: 4_500, points_earned: 45, ..OrderEarning::default() };
        assert_eq!(reversal(&earning, money(1_500)), Reversal { refunded_total: 1_500, owed: 15 });
        assert_eq!(recovery(15, 0, 10), Recovery { from_balance: 10, taken: 10, shortfall: 5 });
        assert_eq!(recovery(15, 4, 100), Recovery { from_balance: 11, taken: 15, shortfall: 0 });
        let free = OrderEarning { subtotal_minor: 0, points_earned: 0, ..OrderEarning::default() };
        assert_eq!(reversal(&free, money(100)).owed, 0);
    }

    /// Applies a refund the way the store does; returns the new earning.
    fn refund(earning: OrderEarning, amount: i64, pending: i64, balance: i64) -> OrderEarning {
        let step = reversal(&earning, money(amount));
        let got = recovery(step.owed, pending.min(step.owed), balance);
        OrderEarning {
            refunded_minor: step.refunded_total,
            points_reversed: earning.points_reversed + got.taken,
            points_unrecovered: earning.points_unrecovered + got.shortfall,
            ..earning
        }
    }

    proptest! {
        #[test]
        fn earning_never_over_grants(minor in 0_i64..1_000_000_000_000, rate in 0_i64..10_000_000, scale in 0_u32..7) {
            let rate = EarnRate::parse(&Decimal::new(rate, scale).to_string()).expect("rate");
            let points = rate.points_for(minor, usd());
            let exact = Decimal::new(minor, 2) * rate.0;
            prop_assert!((0..=MAX_POINTS).contains(&points));
            prop_assert!(Decimal::from(points) <= exact, "{points} > {exact}");
            prop_assert!(points == MAX_POINTS || exact < Decimal::from(points + 1), "{points} too few for {exact}");
            prop_assert!(rate.points_for(minor + 1, usd()) >= points, "more spent never earns less");
        }

        #[test]
        fn refunds_reverse_in_proportion_and_never_more_than_earned(
            subtotal in 0_i64..1_000_000_000,
            earned in 0_i64..1_000_000_000,
            refunds in proptest::collection::vec((0_i64..2_000_000_000, 0_i64..1_000, 0_i64..1_000_000_000), 1..8),
        ) {
            let mut earning = OrderEarning { subtotal_minor: subtotal, points_earned: earned, ..OrderEarning::default() };
            let mut refunded = 0_i64;
            for (amount, pending, balance) in refunds {
                let before = earning;
                earning = refund(earning, amount, pending, balance);
                refunded = refunded.saturating_add(amount);
                prop_assert!(earning.refunded_minor <= subtotal && earning.refunded_minor >= before.refunded_minor);
                prop_assert!(earning.points_reversed >= before.points_reversed, "nothing given back");
                prop_assert!(earning.points_unrecovered >= before.points_unrecovered);
                let accounted = earning.points_reversed + earning.points_unrecovered;
                prop_assert!(accounted <= earned, "{accounted} accounted of {earned} earned");
                let due = if subtotal == 0 { 0 } else {
                    i128::from(earned) * i128::from(refunded.min(subtotal)) / i128::from(subtotal)
                };
                prop_assert_eq!(i128::from(accounted), due, "the reversal follows the refunded share");
            }
            if refunded >= subtotal && subtotal > 0 {
                prop_assert_eq!(earning.points_reversed + earning.points_unrecovered, earned, "a full refund");
            }
        }

        #[test]
        fn recovery_takes_what_is_there_and_reports_the_rest(
            owed in 0_i64..1_000_000, pending in 0_i64..1_000_000, balance in -10_i64..1_000_000,
        ) {
            let got = recovery(owed, pending, balance);
            prop_assert!(got.from_balance >= 0 && got.from_balance <= balance.max(0), "never below zero");
            prop_assert!(got.shortfall >= 0);
            prop_assert_eq!(got.taken + got.shortfall, owed);
            prop_assert_eq!(got.taken, owed.min(pending + balance.max(0)));
        }
    }
}
