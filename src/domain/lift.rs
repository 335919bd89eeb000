//! Measured lift of a campaign: treatment (customers who got a code) against
//! control (the held-out group), as pure arithmetic.
//!
//! The 95 % interval of the difference of two proportions is **Newcombe's
//! hybrid score interval** ("method 10" of R. G. Newcombe, *Interval
//! estimation for the difference between independent proportions:
//! comparison of eleven methods*, Statistics in Medicine 17, 1998), built
//! from the two groups' **Wilson score intervals**. Unlike the textbook
//! Wald interval it stays inside [-1, 1], does not collapse to a point
//! when a rate is 0 or 1, and keeps close to its nominal coverage for small
//! groups — which is what a new campaign has.

/// z for a two-sided 95 % interval (the 0.975 quantile of the normal law).
const Z95: f64 = 1.959_963_984_540_054;

/// The tooltip text the admin shows next to the interval.
pub(crate) const METHOD: &str = "95 % confidence interval of the difference of the two conversion rates \
(treatment − control), by Newcombe's hybrid score method (method 10, from Wilson score intervals).";

/// One group: how many customers, how many of them converted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Group {
    pub customers: u64,
    pub converted: u64,
}

impl Group {
    /// The conversion rate 0–1 (0 for an empty group).
    pub(crate) fn rate(self) -> f64 {
        if self.customers == 0 {
            0.0
        } else {
            self.converted.min(self.customers) as f64 / self.customers as f64
        }
    }
}

/// Absolute and relative lift with the 95 % interval of the absolute lift.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lift {
    /// treatment rate − control rate.
    pub(crate) absolute: f64,
    /// absolute ÷ control rate; None when the control rate is 0.
    pub relative: Option<f64>,
    /// (lo, hi) of the absolute lift, inside [-1, 1].
    pub ci95: (f64, f64),
}

/// Wilson score interval of x successes in n trials:
/// (2x + z² ∓ z·√(z² + 4x(1 − x/n))) ÷ (2(n + z²)).
fn wilson(converted: u64, customers: u64, z: f64) -> (f64, f64) {
    if customers == 0 {
        return (0.0, 1.0);
    }
    let (x, n) = (converted.min(customers) as f64, customers as f64);
    let p = x / n;
    let z2 = z * z;
    let centre = 2.0 * x + z2;
    let spread = z * (z2 + 4.0 * x * (1.0 - p)).max(0.0).sqrt();
    let denominator = 2.0 * (n + z2);
    (((centre - spread) / denominator).clamp(0.0, p), ((centre + spread) / denominator).clamp(p, 1.0))
}

/// Newcombe's hybrid score interval (method 10) for p1 − p2:
/// lo = θ − √((p1 − l1)² + (u2 − p2)²), hi = θ + √((u1 − p1)² + (p2 − l2)²)
/// with (l, u) the Wilson intervals of each group.
fn newcombe(treatment: Group, control: Group, z: f64) -> (f64, f64) {
    let (p1, p2) = (treatment.rate(), control.rate());
    let (l1, u1) = wilson(treatment.converted, treatment.customers, z);
    let (l2, u2) = wilson(control.converted, control.customers, z);
    let theta = p1 - p2;
    let lo = theta - ((p1 - l1).powi(2) + (u2 - p2).powi(2)).sqrt();
    let hi = theta + ((u1 - p1).powi(2) + (p2 - l2).powi(2)).sqrt();
    (lo.clamp(-1.0, theta), hi.clamp(theta, 1.0))
}

/// The lift of treatment over control; None when either group is empty
/// (there is nothing to compare yet).
pub fn lift(treatment: Group, control: Group) -> Option<Lift> {
    if treatment.customers == 0 || control.customers == 0 {
        return None;
    }
    let (p1, p2) = (treatment.rate(), control.rate());
    let absolute = p1 - p2;
    let relative = (p2 > 0.0).then(|| absolute / p2);
    Some(Lift { absolute, relative, ci95: newcombe(treatment, control, Z95) })
}

/// Incremental revenue in minor units: treatment revenue − control revenue
/// × treatment customers ÷ control customers (the control's revenue scaled
/// to the treatment's size, rounded down). None when the control group is
/// empty or the arithmetic would leave i128.
pub(crate) fn incremental_revenue(
    treatment_revenue: i128,
    treatment_customers: u64,
    control_revenue: i128,
    control_customers: u64,
) -> Option<i128> {
    if control_customers == 0 {
        return None;
    }
    let scaled = control_revenue
        .checked_mul(i128::from(treatment_customers))?
        .checked_div_euclid(i128::from(control_customers))?;
    treatment_revenue.checked_sub(scaled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn g(converted: u64, customers: u64) -> Group {
        Group { customers, converted }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 5e-5
    }

    /// Newcombe (1998), example (a): 56/70 against 48/80; the paper gives
    /// method 10 as +0.0524 to +0.3339. By hand, z = 1.959964, z² = 3.841459:
    /// - treatment p1 = 0.8: 2x + z² = 115.841459; z·√(z² + 4·56·0.2) = z·√48.641459
    ///   = 13.669461; 2(n + z²) = 147.682918 → l1 = 102.171998 / 147.682918 = 0.691834,
    ///   u1 = 129.510920 / 147.682918 = 0.876953.
    /// - control p2 = 0.6: 2x + z² = 99.841459; z·√(z² + 4·48·0.4) = z·√80.641459
    ///   = 17.600592; 2(n + z²) = 167.682918 → l2 = 82.240867 / 167.682918 = 0.490455,
    ///   u2 = 117.442051 / 167.682918 = 0.700382.
    /// - θ = 0.2; lo = 0.2 − √(0.108166² + 0.100382²) = 0.2 − √(0.011700 + 0.010076)
    ///   = 0.2 − 0.147568 = 0.052432; hi = 0.2 + √(0.076953² + 0.109545²)
    ///   = 0.2 + √(0.005922 + 0.012000) = 0.2 + 0.133873 = 0.333873.
    #[test]
    fn newcombes_published_example() {
        let (l1, u1) = wilson(56, 70, Z95);
        assert!(close(l1, 0.691834) && close(u1, 0.876953), "{l1} {u1}");
        let (l2, u2) = wilson(48, 80, Z95);
        assert!(close(l2, 0.490455) && close(u2, 0.700382), "{l2} {u2}");
        let lift = lift(g(56, 70), g(48, 80)).expect("both groups");
        assert!(close(lift.absolute, 0.2));
        assert!(close(lift.relative.expect("control converts"), 0.2 / 0.6));
        let (lo, hi) = lift.ci95;
        assert!(close(lo, 0.052432) && close(hi, 0.333873), "{lo} {hi}");
    }

    #[test]
    fn relative_is_none_when_the_control_never_converts_and_empty_groups_give_nothing() {
        let lift = lift(g(3, 10), g(0, 10)).expect("both groups");
        assert_eq!(lift.relative, None);
        assert!(lift.ci95.0 < 0.3 && lift.ci95.1 > 0.3);
        assert_eq!(super::lift(g(0, 0), g(1, 10)), None);
        assert_eq!(super::lift(g(1, 10), g(0, 0)), None);
    }

    #[test]
    fn incremental_revenue_scales_the_control_and_never_overflows() {
        // 1000.00 from 100 treated; 90.00 from 10 controls → 900.00 expected → 100.00.
        assert_eq!(incremental_revenue(100_000, 100, 9_000, 10), Some(10_000));
        // 10 / 3 rounds down: 0 − 3.33… → −3 (scaled control 3).
        assert_eq!(incremental_revenue(0, 1, 10, 3), Some(-3));
        assert_eq!(incremental_revenue(5, 1, 5, 0), None);
        assert_eq!(incremental_revenue(i128::MIN, 1, 1, 1), None);
        assert_eq!(incremental_revenue(0, u64::MAX, i128::MAX, 1), None);
    }

    fn group() -> impl Strategy<Value = Group> {
        (1_u64..5_000).prop_flat_map(|n| (0..=n).prop_map(move |x| g(x, n)))
    }

    proptest! {
        #[test]
        fn the_interval_holds_the_estimate_inside_minus_one_to_one(t in group(), c in group()) {
            let lift = lift(t, c).expect("both groups");
            let (lo, hi) = lift.ci95;
            prop_assert!(-1.0 <= lo && lo <= lift.absolute && lift.absolute <= hi && hi <= 1.0,
                "{lo} {} {hi}", lift.absolute);
        }

        #[test]
        fn swapping_the_groups_negates_the_interval(t in group(), c in group()) {
            let (lo, hi) = newcombe(t, c, Z95);
            let (slo, shi) = newcombe(c, t, Z95);
            prop_assert!((lo + shi).abs() < 1e-12 && (hi + slo).abs() < 1e-12, "{lo} {hi} / {slo} {shi}");
        }

        #[test]
        fn more_customers_at_the_same_rates_narrow_the_interval(t in group(), c in group(), k in 2_u64..50) {
            let (lo, hi) = newcombe(t, c, Z95);
            let bigger = |x: Group| g(x.converted * k, x.customers * k);
            let (blo, bhi) = newcombe(bigger(t), bigger(c), Z95);
            prop_assert!(bhi - blo <= hi - lo + 1e-12, "n×{k}: {blo}..{bhi} wider than {lo}..{hi}");
        }

        #[test]
        fn wilson_holds_the_rate(x in 0_u64..10_000, extra in 0_u64..10_000) {
            let n = x + extra;
            let (lo, hi) = wilson(x, n, Z95);
            let p = if n == 0 { 0.0 } else { x as f64 / n as f64 };
            prop_assert!(0.0 <= lo && lo <= p.max(lo) && hi >= p && hi <= 1.0);
        }
    }
}
