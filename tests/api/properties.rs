//! Property tests of the pure domain rules (STYLE.md "Tests"): rounding
//! never gives more value than the points buy and is exactly the floor;
//! codes are drawn from the unambiguous alphabet with ≥ 40 random bits;
//! parsers refuse what they should and never panic.

use loyalty_wallet::domain::claim;
use loyalty_wallet::domain::code::{self, ALPHABET, RANDOM_LEN};
use loyalty_wallet::domain::money::{Currency, PointsPerUnit, MAX_RATIO_SCALE};
use loyalty_wallet::domain::points::{Points, PointsDelta, MAX_POINTS};
use loyalty_wallet::domain::program::{
    DecimalInput, Eligibility, EligibilityKind, ProgramInput, ProgramSettings, PurchaseTypes,
};
use loyalty_wallet::domain::refusal::Reason;
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::SeedableRng;
use rust_decimal::Decimal;

const CURRENCIES: [&str; 5] = ["USD", "JPY", "KWD", "EUR", "CLP"];

/// Every valid ratio: mantissa and scale with value in (0, 10^9], ≤ 6 decimals.
fn ratio() -> impl Strategy<Value = PointsPerUnit> {
    (0..=MAX_RATIO_SCALE).prop_flat_map(|scale| {
        let max = 1_000_000_000_i64 * 10_i64.pow(scale);
        prop_oneof![1..=1_000_i64, 1..=max]
            .prop_map(move |mantissa| PointsPerUnit::parse(Decimal::new(mantissa, scale)).expect("a valid ratio"))
    })
}

fn currency() -> impl Strategy<Value = Currency> {
    prop::sample::select(CURRENCIES.to_vec()).prop_map(|c| Currency::parse(c).expect("currency"))
}

fn points() -> impl Strategy<Value = i64> {
    prop_oneof![1..=10_000_i64, 1..=MAX_POINTS]
}

/// points × 10^digits ÷ ratio, as an exact fraction numerator ÷ denominator.
fn exact(ratio: PointsPerUnit, points: i64, currency: Currency) -> (i128, i128) {
    let ratio = ratio.get();
    let numerator = i128::from(points) * 10_i128.pow(currency.digits() + ratio.scale());
    (numerator, ratio.mantissa())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2_000, failure_persistence: None, ..ProptestConfig::default() })]

    /// value × ratio ≤ points × 10^digits, and (value + 1) × ratio > it:
    /// the value is exactly the floor, so never more than the points buy.
    #[test]
    fn rounding_is_the_exact_floor(ratio in ratio(), points in points(), currency in currency()) {
        let value = ratio.value_minor(points, currency);
        let (numerator, denominator) = exact(ratio, points, currency);
        prop_assert!(value >= 0);
        prop_assert!(i128::from(value) * denominator <= numerator, "more value than the points buy");
        if numerator / denominator <= i128::from(i64::MAX) {
            prop_assert!((i128::from(value) + 1) * denominator > numerator, "not the floor");
        } else {
            prop_assert_eq!(value, i64::MAX, "a value past i64 saturates, still below what the points buy");
        }
    }

    /// The same property in decimal money terms: value ≤ points ÷ ratio.
    #[test]
    fn rounding_never_exceeds_the_decimal_value(ratio in ratio(), points in 1..=10_000_000_i64, currency in currency()) {
        let value = Decimal::new(ratio.value_minor(points, currency), currency.digits());
        let bought = Decimal::from(points) / ratio.get();
        prop_assert!(value <= bought, "{} > {}", value, bought);
        let one_more = value + Decimal::new(1, currency.digits());
        prop_assert!(one_more > bought);
    }

    /// More points never buy less.
    #[test]
    fn value_is_monotonic_in_points(ratio in ratio(), points in 1..MAX_POINTS, currency in currency()) {
        prop_assert!(ratio.value_minor(points, currency) <= ratio.value_minor(points + 1, currency));
    }

    #[test]
    fn codes_use_the_alphabet_the_length_and_the_prefix(seed in any::<u64>(), prefix in proptest::option::of("[A-Z0-9]{1,6}(-[A-Z0-9]{1,4})?")) {
        let mut rng = StdRng::seed_from_u64(seed);
        let code = code::generate(prefix.as_deref(), &mut rng);
        let random = match &prefix {
            Some(prefix) => code.strip_prefix(&format!("{prefix}-")).expect("prefix then a dash"),
            None => code.as_str(),
        };
        prop_assert_eq!(random.len(), RANDOM_LEN);
        prop_assert!(random.bytes().all(|b| ALPHABET.contains(&b)), "{}", code);
        prop_assert_eq!(code::normalize(&code), Some(code.clone()), "a generated code is already normal");
        prop_assert_eq!(code::normalize(&code.to_lowercase()), Some(code.clone()));
    }

    #[test]
    fn amounts_round_trip_and_parsing_never_panics(minor in 0..=i64::MAX / 1_000, currency in currency(), garbage in "\\PC{0,40}") {
        let text = currency.format_minor(minor);
        prop_assert_eq!(currency.parse_amount(&text), Ok(minor));
        let _ = currency.parse_amount(&garbage);
    }

    /// Only plain decimal notation is money: no exponents, signs or bare dots.
    #[test]
    fn amounts_accept_only_plain_decimals(text in "[-+0-9.eE]{0,10}", currency in currency()) {
        if currency.parse_amount(&text).is_ok() {
            let (whole, fraction) = text.split_once('.').unwrap_or((&text, "0"));
            let plain = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
            prop_assert!(plain(whole) && plain(fraction), "accepted {:?}", text);
        }
    }

    #[test]
    fn huge_amounts_are_refused_not_panicked_on(digits in "[1-9][0-9]{17,28}", fraction in proptest::option::of("[0-9]{1,3}"), currency in currency()) {
        let text = match fraction { Some(f) => format!("{digits}.{f}"), None => digits };
        // Anything that does not fit in i64 minor units is an error, not a crash.
        let result = std::panic::catch_unwind(|| currency.parse_amount(&text));
        prop_assert!(result.is_ok(), "parse_amount panicked on {}", text);
    }

    #[test]
    fn points_parse_accepts_exactly_the_positive_range(raw in any::<i64>()) {
        prop_assert_eq!(Points::parse(raw).is_ok(), (1..=MAX_POINTS).contains(&raw));
        prop_assert_eq!(PointsDelta::parse(raw).is_ok(), raw != 0 && raw.unsigned_abs() <= MAX_POINTS as u64);
    }

    #[test]
    fn ratio_input_never_panics(text in "\\PC{0,40}", number in any::<f64>(), exponent in -400..400_i32) {
        let _ = DecimalInput::Text(text).parse_ratio();
        let _ = DecimalInput::Text(format!("1e{exponent}")).parse_ratio();
        let _ = DecimalInput::Text(format!("1e{exponent}")).to_rate();
        if let Some(n) = serde_json::Number::from_f64(number) {
            let _ = DecimalInput::Number(n.clone()).parse_ratio();
            let _ = DecimalInput::Number(n).to_rate();
        }
    }

    /// A program that parses has min ≤ max within range and a positive ratio,
    /// and a claim under it is granted only within those bounds.
    #[test]
    fn programs_and_claims_respect_their_bounds(min in -5..20_000_i64, max in -5..20_000_i64, ratio in "(0|[1-9][0-9]{0,3})(\\.[0-9]{1,7})?", points in 1..25_000_i64, currency in currency()) {
        let input = ProgramInput {
            enabled: true,
            points_per_unit: DecimalInput::Text(ratio.clone()),
            min_points: min,
            max_points: max,
            purchase_type: PurchaseTypes::OneTime,
            subscription: None,
            eligibility: None,
            combines_with: None,
            code_prefix: None,
            code_lifetime_hours: None,
        };
        match ProgramSettings::parse(input) {
            Ok(program) => {
                prop_assert!(1 <= program.min_points && program.min_points <= program.max_points && program.max_points <= MAX_POINTS);
                prop_assert!(program.points_per_unit > Decimal::ZERO);
                let granted = claim::terms(&program, currency, "1", None, Points::parse(points).expect("points"), None);
                match granted {
                    Ok(terms) => {
                        prop_assert!(program.min_points <= points && points <= program.max_points);
                        prop_assert!(terms.value_minor > 0);
                        prop_assert_eq!(terms.value_minor, program.ratio().value_minor(points, currency));
                    }
                    Err(Reason::BelowMinimum { min }) => prop_assert!(points < min),
                    Err(Reason::AboveMaximum { max }) => prop_assert!(points > max),
                    Err(Reason::ZeroValue) => prop_assert_eq!(program.ratio().value_minor(points, currency), 0),
                    Err(other) => prop_assert!(false, "unexpected refusal {:?}", other),
                }
            }
            Err(fields) => {
                let bad_range = !(1..=MAX_POINTS).contains(&min) || !(1..=MAX_POINTS).contains(&max) || min > max;
                let bad_ratio = PointsPerUnit::parse(ratio.parse::<Decimal>().unwrap_or_default()).is_err();
                prop_assert!(bad_range || bad_ratio, "refused a valid program: {:?}", fields);
                prop_assert!(fields.keys().all(|k| ["min_points", "max_points", "points_per_unit"].contains(&k.as_str())), "{:?}", fields);
            }
        }
    }

    /// A customer list admits exactly the listed ids, whatever order they came in.
    #[test]
    fn customer_lists_admit_exactly_their_members(ids in prop::collection::vec("[a-z0-9]{1,6}", 1..20), probe in "[a-z0-9]{1,6}") {
        let mut program = ProgramSettings::initial();
        program.enabled = true;
        let input = ProgramInput {
            enabled: true,
            points_per_unit: DecimalInput::Text("100".into()),
            min_points: 1,
            max_points: 100,
            purchase_type: PurchaseTypes::OneTime,
            subscription: None,
            eligibility: Some(Eligibility { kind: EligibilityKind::Customers, ids: ids.clone() }),
            combines_with: None,
            code_prefix: None,
            code_lifetime_hours: None,
        };
        let program = ProgramSettings::parse(input).expect("valid program");
        for id in &ids {
            prop_assert_eq!(claim::eligibility(&program, id, None), Ok(()));
        }
        let expected = if ids.contains(&probe) { Ok(()) } else { Err(Reason::NotEligible) };
        prop_assert_eq!(claim::eligibility(&program, &probe, None), expected);
    }
}

#[test]
fn the_alphabet_has_no_look_alikes_and_enough_entropy() {
    let mut sorted = ALPHABET.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(sorted.len(), ALPHABET.len(), "no repeated symbols");
    for confusable in *b"0O1IL" {
        assert!(!ALPHABET.contains(&confusable), "{}", char::from(confusable));
    }
    assert!(ALPHABET.iter().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
    let bits = RANDOM_LEN as f64 * (ALPHABET.len() as f64).log2();
    assert!(bits >= 40.0, "{bits} bits");
    assert!((code::entropy_bits() - bits).abs() < 1e-9);
}

#[test]
fn generated_codes_spread_over_the_alphabet() {
    // Every symbol shows up in every position over many codes: no position is fixed.
    let mut rng = StdRng::seed_from_u64(7);
    let mut seen = vec![std::collections::HashSet::new(); RANDOM_LEN];
    for _ in 0..5_000 {
        for (i, b) in code::generate(None, &mut rng).bytes().enumerate() {
            seen[i].insert(b);
        }
    }
    assert!(seen.iter().all(|s| s.len() == ALPHABET.len()));
}

#[test]
fn segments_are_refused_without_membership() {
    let mut program = ProgramSettings::initial();
    program.enabled = true;
    program.eligibility = Eligibility { kind: EligibilityKind::Segments, ids: vec!["seg".into()] };
    assert_eq!(claim::eligibility(&program, "seg", None), Err(Reason::SegmentsUnavailable));
    assert_eq!(claim::eligibility(&program, "1", Some(false)), Err(Reason::NotEligible));
    assert_eq!(claim::eligibility(&program, "1", Some(true)), Ok(()));
}
