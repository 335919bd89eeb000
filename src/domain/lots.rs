//! Points lots: the shop's expiry policy and which lots a debit draws on
//! (soonest to expire first, lots without expiry last, then the oldest).

use super::state::stored_state;
use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::BTreeMap;
use utoipa::ToSchema;

const MAX_EXPIRY_DAYS: i64 = 3650;
const MAX_PENDING_DAYS: i64 = 365;
const MAX_WARNING_DAYS: i64 = 365;

stored_state! {
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub(crate) enum ExpiryKind("points expiry kind") {
        /// Points never expire.
        None = "none",
        /// Each credit expires `days` after it was credited.
        AfterDays = "after_days",
        /// The whole balance expires `days` after the last earn, claim or
        /// positive adjustment.
        Inactivity = "inactivity",
    }
}

/// A shop's points policy, valid by construction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PointsPolicy {
    pub(crate) expiry: ExpiryKind,
    /// Set for `after_days` and `inactivity`.
    pub(crate) days: Option<i64>,
    pub(crate) pending_days: i64,
    pub(crate) warning_days: i64,
}

impl Default for PointsPolicy {
    fn default() -> Self {
        Self { expiry: ExpiryKind::None, days: None, pending_days: 0, warning_days: 0 }
    }
}

/// `points_expiry` as the merchant sends it.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExpiryInput {
    /// none, after_days or inactivity
    pub(crate) kind: String,
    /// 1-3650; required unless kind is none.
    #[serde(default)]
    pub(crate) days: Option<i64>,
}

/// The policy fields of a shop update; each left out keeps its value.
#[derive(Debug, Clone, Default)]
pub(crate) struct PolicyInput {
    pub(crate) expiry: Option<ExpiryInput>,
    pub(crate) pending_days: Option<i64>,
    pub(crate) warning_days: Option<i64>,
}

impl PointsPolicy {
    /// `self` changed by `input`, or the problems per field.
    pub(crate) fn changed_by(self, input: PolicyInput) -> Result<Self, BTreeMap<String, String>> {
        let mut fields = BTreeMap::new();
        let mut next = self;
        if let Some(expiry) = input.expiry {
            match ExpiryKind::from_stored(&expiry.kind) {
                None => drop(fields.insert("points_expiry.kind".into(), "none, after_days or inactivity".into())),
                Some(ExpiryKind::None) => (next.expiry, next.days) = (ExpiryKind::None, None),
                Some(kind) => match expiry.days {
                    Some(days) if (1..=MAX_EXPIRY_DAYS).contains(&days) => {
                        (next.expiry, next.days) = (kind, Some(days))
                    }
                    _ => {
                        drop(fields.insert("points_expiry.days".into(), format!("a whole number 1-{MAX_EXPIRY_DAYS}")))
                    }
                },
            }
        }
        if let Some(days) = input.pending_days {
            match (0..=MAX_PENDING_DAYS).contains(&days) {
                true => next.pending_days = days,
                false => drop(fields.insert("pending_days".into(), format!("a whole number 0-{MAX_PENDING_DAYS}"))),
            }
        }
        if let Some(days) = input.warning_days {
            match (0..=MAX_WARNING_DAYS).contains(&days) {
                true => next.warning_days = days,
                false => {
                    drop(fields.insert("expiry_warning_days".into(), format!("a whole number 0-{MAX_WARNING_DAYS}")))
                }
            }
        }
        if fields.is_empty() && next.days.is_some_and(|days| next.warning_days >= days) {
            fields.insert("expiry_warning_days".into(), "must be below points_expiry.days".into());
        }
        if fields.is_empty() {
            Ok(next)
        } else {
            Err(fields)
        }
    }

    /// The expiry of points credited at `now` (`day` = the length of a day).
    pub(crate) fn expiry_at(&self, now: NaiveDateTime, day: Duration) -> Option<NaiveDateTime> {
        match (self.expiry, self.days) {
            (ExpiryKind::None, _) | (_, None) => None,
            (_, Some(days)) => Some(now + day * i32::try_from(days).unwrap_or(i32::MAX)),
        }
    }

    /// When points earned on an order at `now` become available; None = at once.
    pub(crate) fn release_at(&self, now: NaiveDateTime, day: Duration) -> Option<NaiveDateTime> {
        (self.pending_days > 0).then(|| now + day * i32::try_from(self.pending_days).unwrap_or(i32::MAX))
    }
}

/// A lot with points left, as a debit sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenLot {
    pub id: String,
    pub remaining: i64,
    pub expires_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub order_id: Option<String>,
}

/// Spending order: soonest expiry first, no expiry last, then oldest.
pub(crate) fn spend_order(a: &OpenLot, b: &OpenLot) -> Ordering {
    let expiry = match (a.expires_at, b.expires_at) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    expiry.then(a.created_at.cmp(&b.created_at)).then_with(|| a.id.cmp(&b.id))
}

/// Which lots pay for `points` and how much each gives: the lots of
/// `prefer_order` first (an order refund takes back that order's own points),
/// then in [`spend_order`]. None when the lots hold fewer than `points`.
pub fn choose(lots: &[OpenLot], points: i64, prefer_order: Option<&str>) -> Option<Vec<(String, i64)>> {
    let mut order: Vec<&OpenLot> = lots.iter().filter(|lot| lot.remaining > 0).collect();
    order.sort_by(|a, b| {
        let own = |lot: &OpenLot| prefer_order.is_none() || lot.order_id.as_deref() != prefer_order;
        own(a).cmp(&own(b)).then_with(|| spend_order(a, b))
    });
    let mut left = points;
    let mut taken = Vec::new();
    for lot in order {
        if left == 0 {
            break;
        }
        let take = lot.remaining.min(left);
        taken.push((lot.id.clone(), take));
        left -= take;
    }
    (left == 0).then_some(taken)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use proptest::prelude::*;

    fn at(secs: i64) -> NaiveDateTime {
        DateTime::from_timestamp(1_800_000_000 + secs, 0).map(|t| t.naive_utc()).unwrap_or_default()
    }

    fn lot(id: usize, remaining: i64, expires: Option<i64>, created: i64, order: Option<&str>) -> OpenLot {
        OpenLot {
            id: format!("{id:03}"),
            remaining,
            expires_at: expires.map(at),
            created_at: at(created),
            order_id: order.map(str::to_string),
        }
    }

    fn lots() -> impl Strategy<Value = Vec<OpenLot>> {
        prop::collection::vec((0..500_i64, prop::option::of(0..20_i64), 0..20_i64, prop::bool::ANY), 0..12).prop_map(
            |raw| {
                raw.into_iter()
                    .enumerate()
                    .map(|(i, (r, e, c, o))| lot(i, r, e.map(|d| d * 100), c, o.then_some("o1")))
                    .collect()
            },
        )
    }

    #[test]
    fn soonest_expiry_first_then_oldest_and_no_expiry_last() {
        let lots = vec![lot(1, 100, None, 0, None), lot(2, 50, Some(500), 5, None), lot(3, 30, Some(200), 9, None)];
        let taken = choose(&lots, 120, None).expect("enough");
        assert_eq!(taken, vec![("003".into(), 30), ("002".into(), 50), ("001".into(), 40)]);
        assert_eq!(choose(&lots, 181, None), None);
    }

    #[test]
    fn an_orders_own_lots_go_first() {
        let lots = vec![lot(1, 100, Some(10), 0, None), lot(2, 50, None, 5, Some("o1"))];
        assert_eq!(choose(&lots, 60, Some("o1")).expect("enough"), vec![("002".into(), 50), ("001".into(), 10)]);
    }

    #[test]
    fn policy_bounds_are_per_field() {
        let input = |kind: &str, days, pending, warning| PolicyInput {
            expiry: Some(ExpiryInput { kind: kind.into(), days }),
            pending_days: Some(pending),
            warning_days: Some(warning),
        };
        let ok = PointsPolicy::default().changed_by(input("after_days", Some(30), 14, 7)).expect("valid");
        assert_eq!((ok.expiry, ok.days, ok.pending_days, ok.warning_days), (ExpiryKind::AfterDays, Some(30), 14, 7));
        let bad = PointsPolicy::default().changed_by(input("after_days", Some(0), 366, -1)).expect_err("invalid");
        assert_eq!(bad.keys().collect::<Vec<_>>(), ["expiry_warning_days", "pending_days", "points_expiry.days"]);
        let bad =
            PointsPolicy::default().changed_by(input("inactivity", Some(10), 0, 10)).expect_err("warning >= days");
        assert!(bad.contains_key("expiry_warning_days"));
        let bad = PointsPolicy::default().changed_by(input("sometimes", None, 0, 0)).expect_err("kind");
        assert!(bad.contains_key("points_expiry.kind"));
        let kept = ok.changed_by(PolicyInput::default()).expect("nothing changes");
        assert_eq!(kept, ok);
    }

    proptest! {
        #[test]
        fn a_choice_pays_exactly_and_never_overdraws_a_lot(lots in lots(), points in 1..3_000_i64, prefer in prop::bool::ANY) {
            let total: i64 = lots.iter().map(|l| l.remaining).sum();
            let prefer = prefer.then_some("o1");
            match choose(&lots, points, prefer) {
                None => prop_assert!(total < points),
                Some(taken) => {
                    prop_assert_eq!(taken.iter().map(|(_, p)| p).sum::<i64>(), points);
                    for (id, p) in &taken {
                        let lot = lots.iter().find(|l| &l.id == id).expect("a chosen lot exists");
                        prop_assert!(*p > 0 && *p <= lot.remaining);
                    }
                }
            }
        }

        #[test]
        fn nothing_later_is_spent_while_something_sooner_is_left(lots in lots(), points in 1..3_000_i64) {
            let Some(taken) = choose(&lots, points, None) else { return Ok(()) };
            let drawn = |id: &str| taken.iter().find(|(t, _)| t == id).map_or(0, |(_, p)| *p);
            for a in lots.iter().filter(|l| l.remaining > 0) {
                for b in lots.iter().filter(|l| l.remaining > 0) {
                    if spend_order(a, b) == Ordering::Less && drawn(&b.id) > 0 {
                        prop_assert_eq!(drawn(&a.id), a.remaining, "{:?} before {:?}", a, b);
                    }
                }
            }
        }
    }
}
