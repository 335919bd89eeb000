//! Redemption programs: one per channel, versioned settings and their validation.

use super::ids::CustomerId;
use super::money::PointsPerUnit;
use super::points::MAX_POINTS;
use super::state::stored_state;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::str::FromStr;
use utoipa::ToSchema;

stored_state! {
    /// Where a claim is made: the storefront widget or a POS terminal.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum Channel("channel") {
        Online = "online",
        Pos = "pos",
    }
}

impl Channel {
    pub(crate) fn parse(raw: &str) -> Result<Self, String> {
        Channel::from_stored(raw).ok_or_else(|| format!("unknown channel {raw:?}; use online or pos"))
    }
}

stored_state! {
    /// The purchase a single code is used on.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
    #[serde(rename_all = "snake_case")]
    pub enum PurchaseType("purchase type") {
        OneTime = "one_time",
        Subscription = "subscription",
    }
}

/// Which purchases a program's codes apply to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PurchaseTypes {
    OneTime,
    Subscription,
    Both,
}

impl PurchaseTypes {
    pub(crate) fn allows(self, purchase: PurchaseType) -> bool {
        matches!(
            (self, purchase),
            (PurchaseTypes::Both, _)
                | (PurchaseTypes::OneTime, PurchaseType::OneTime)
                | (PurchaseTypes::Subscription, PurchaseType::Subscription)
        )
    }

    pub(crate) fn list(self) -> Vec<PurchaseType> {
        [PurchaseType::OneTime, PurchaseType::Subscription].into_iter().filter(|p| self.allows(*p)).collect()
    }

    /// The purchase type assumed when a claim does not name one.
    pub(crate) fn default_purchase(self) -> PurchaseType {
        match self {
            PurchaseTypes::Subscription => PurchaseType::Subscription,
            _ => PurchaseType::OneTime,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum AppliesTo {
    FirstPayment,
    Recurring,
    AllPayments,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Subscription {
    pub(crate) applies_to: AppliesTo,
    #[serde(default)]
    pub(crate) cycles: Option<i64>,
}

impl Subscription {
    /// The platform's `recurringCycleLimit`: 1 first payment, N, 0 = all.
    pub(crate) fn recurring_cycle_limit(&self) -> i64 {
        match self.applies_to {
            AppliesTo::FirstPayment => 1,
            AppliesTo::Recurring => self.cycles.unwrap_or(1),
            AppliesTo::AllPayments => 0,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EligibilityKind {
    All,
    Customers,
    Segments,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Eligibility {
    pub kind: EligibilityKind,
    #[serde(default)]
    pub ids: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CombinesWith {
    #[serde(default)]
    pub(crate) order: bool,
    #[serde(default)]
    pub(crate) product: bool,
    #[serde(default)]
    pub(crate) shipping: bool,
}

/// A number or a decimal string, as merchants and scripts send either.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum DecimalInput {
    Text(String),
    #[schema(value_type = f64)]
    Number(serde_json::Number),
}

impl DecimalInput {
    fn to_decimal(&self) -> Option<Decimal> {
        let text = match self {
            DecimalInput::Text(text) => text.trim().to_string(),
            DecimalInput::Number(number) => number.to_string(),
        };
        Decimal::from_str(&text).or_else(|_| Decimal::from_scientific(&text)).ok()
    }

    /// An earn rate: zero or more points per unit of currency, as text.
    pub fn to_rate(&self) -> Result<String, String> {
        let value = self.to_decimal().ok_or("must be a decimal number")?.normalize();
        if value.is_sign_negative() || value.scale() > super::money::MAX_RATIO_SCALE || value > Decimal::from(1_000_000)
        {
            return Err("must be between 0 and 1000000 with at most 6 decimals".into());
        }
        Ok(value.to_string())
    }

    pub fn parse_ratio(&self) -> Result<PointsPerUnit, String> {
        let value = self.to_decimal().ok_or("must be a decimal number")?;
        PointsPerUnit::parse(value)
    }
}

/// The body of `PUT /api/v1/admin/programs/{channel}`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgramInput {
    pub enabled: bool,
    pub points_per_unit: DecimalInput,
    pub min_points: i64,
    pub max_points: i64,
    pub purchase_type: PurchaseTypes,
    #[serde(default)]
    pub subscription: Option<Subscription>,
    #[serde(default)]
    pub eligibility: Option<Eligibility>,
    #[serde(default)]
    pub combines_with: Option<CombinesWith>,
    #[serde(default)]
    pub code_prefix: Option<String>,
    #[serde(default)]
    pub code_lifetime_hours: Option<i64>,
}

/// Validated program settings, as stored per version and snapshotted on claims.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ProgramSettings {
    pub enabled: bool,
    #[schema(value_type = String, example = "100")]
    pub points_per_unit: Decimal,
    pub min_points: i64,
    pub max_points: i64,
    pub purchase_type: PurchaseTypes,
    pub subscription: Option<Subscription>,
    pub eligibility: Eligibility,
    pub combines_with: CombinesWith,
    pub code_prefix: Option<String>,
    pub code_lifetime_hours: Option<i64>,
}

const MAX_LIFETIME_HOURS: i64 = 24 * 365;
const MAX_ELIGIBLE_IDS: usize = 10_000;

/// Field name → what is wrong with it.
type FieldErrors = BTreeMap<String, String>;

impl ProgramSettings {
    /// A new shop's program: disabled, 100 points = 1 unit, 100..10000 points.
    pub fn initial() -> Self {
        Self {
            enabled: false,
            points_per_unit: Decimal::from(100),
            min_points: 100,
            max_points: 10_000,
            purchase_type: PurchaseTypes::OneTime,
            subscription: None,
            eligibility: Eligibility { kind: EligibilityKind::All, ids: vec![] },
            combines_with: CombinesWith::default(),
            code_prefix: None,
            code_lifetime_hours: None,
        }
    }

    pub fn ratio(&self) -> PointsPerUnit {
        // Stored settings were validated on the way in; the fallback is unreachable.
        PointsPerUnit::parse(self.points_per_unit)
            .unwrap_or_else(|_| PointsPerUnit::parse(Decimal::ONE_HUNDRED).expect("100 is a valid ratio"))
    }

    /// Parses a program body; every problem is reported against its field.
    pub fn parse(input: ProgramInput) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let ratio = input.points_per_unit.parse_ratio().map_err(|e| errors.insert("points_per_unit".into(), e)).ok();
        check_points_range(input.min_points, input.max_points, &mut errors);
        let subscription = parse_subscription(input.purchase_type, input.subscription, &mut errors);
        let eligibility = input.eligibility.unwrap_or(Eligibility { kind: EligibilityKind::All, ids: vec![] });
        let eligibility = parse_eligibility(eligibility, &mut errors);
        let code_prefix = parse_prefix(input.code_prefix, &mut errors);
        if let Some(hours) = input.code_lifetime_hours {
            if !(1..=MAX_LIFETIME_HOURS).contains(&hours) {
                errors.insert(
                    "code_lifetime_hours".into(),
                    format!("must be between 1 and {MAX_LIFETIME_HOURS}, or null for no expiry"),
                );
            }
        }
        match ratio {
            Some(ratio) if errors.is_empty() => Ok(Self {
                enabled: input.enabled,
                points_per_unit: ratio.get(),
                min_points: input.min_points,
                max_points: input.max_points,
                purchase_type: input.purchase_type,
                subscription,
                eligibility,
                combines_with: input.combines_with.unwrap_or_default(),
                code_prefix,
                code_lifetime_hours: input.code_lifetime_hours,
            }),
            _ => Err(errors),
        }
    }
}

fn check_points_range(min: i64, max: i64, errors: &mut FieldErrors) {
    if !(1..=MAX_POINTS).contains(&min) {
        errors.insert("min_points".into(), format!("must be between 1 and {MAX_POINTS}"));
    }
    if !(1..=MAX_POINTS).contains(&max) {
        errors.insert("max_points".into(), format!("must be between 1 and {MAX_POINTS}"));
    } else if min > max {
        errors.insert("max_points".into(), "must be greater than or equal to min_points".into());
    }
}

fn parse_subscription(
    purchase: PurchaseTypes,
    input: Option<Subscription>,
    errors: &mut FieldErrors,
) -> Option<Subscription> {
    if purchase == PurchaseTypes::OneTime {
        return None;
    }
    let sub = input.unwrap_or(Subscription { applies_to: AppliesTo::FirstPayment, cycles: None });
    match (sub.applies_to, sub.cycles) {
        (AppliesTo::Recurring, Some(cycles)) if (1..=1000).contains(&cycles) => {}
        (AppliesTo::Recurring, _) => {
            errors
                .insert("subscription.cycles".into(), "must be between 1 and 1000 when applies_to is recurring".into());
        }
        (AppliesTo::FirstPayment, None | Some(1)) | (AppliesTo::AllPayments, None) => {}
        (_, Some(_)) => {
            errors.insert("subscription.cycles".into(), "only applies when applies_to is recurring".into());
        }
    }
    Some(sub)
}

pub(crate) fn parse_eligibility(mut input: Eligibility, errors: &mut FieldErrors) -> Eligibility {
    input.ids.sort();
    input.ids.dedup();
    match input.kind {
        EligibilityKind::All if !input.ids.is_empty() => {
            errors.insert("eligibility.ids".into(), "must be empty when kind is all".into());
        }
        EligibilityKind::All => {}
        _ if input.ids.is_empty() => {
            errors.insert("eligibility.ids".into(), "list at least one id".into());
        }
        _ if input.ids.len() > MAX_ELIGIBLE_IDS => {
            errors.insert("eligibility.ids".into(), format!("at most {MAX_ELIGIBLE_IDS} ids"));
        }
        EligibilityKind::Segments => {
            let valid = |id: &str| CustomerId::parse(id.strip_prefix("gid://shopify/Segment/").unwrap_or(id)).is_ok();
            if let Some(bad) = input.ids.iter().find(|id| !valid(id)) {
                errors.insert("eligibility.ids".into(), format!("{bad:?} is not a valid segment id"));
            }
        }
        EligibilityKind::Customers => {
            if let Some(bad) = input.ids.iter().find(|id| CustomerId::parse(id).is_err()) {
                errors.insert("eligibility.ids".into(), format!("{bad:?} is not a valid id"));
            }
        }
    }
    input
}

fn parse_prefix(input: Option<String>, errors: &mut FieldErrors) -> Option<String> {
    let prefix = input?.trim().to_ascii_uppercase();
    if prefix.is_empty() {
        return None;
    }
    let valid = prefix.len() <= 12
        && prefix.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
        && !prefix.ends_with('-');
    if !valid {
        errors.insert("code_prefix".into(), "1-12 characters of A-Z, 0-9 and -, not ending in -".into());
    }
    Some(prefix)
}
