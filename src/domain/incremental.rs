//! The 95 % interval of a campaign's incremental revenue, as pure arithmetic.
//!
//! Each customer of a group is one observation: the revenue of their orders
//! inside the attribution window (0 for those who did not buy). With n_t
//! treated and n_c control customers, revenue sums S and sums of squares Q,
//!
//! ```text
//! mean  m = S / n                     variance  s² = (Q − S²/n) / (n − 1)
//! incremental revenue  I = n_t · (m_t − m_c)   (= S_t − S_c · n_t / n_c)
//! Var(I) ≈ n_t² · (s_t² / n_t + s_c² / n_c)    (delta method; the groups are independent)
//! 95 % interval  I ± 1.959964 · √Var(I)
//! ```
//!
//! I is the control's revenue per customer scaled to the treatment's size
//! and taken from the treatment's revenue, as the report's
//! `incremental_revenue`. Being linear in the two means, the delta method's
//! variance is exact here: it is the variance of a difference of two
//! independent sample means (Welch), times n_t². The normal approximation
//! needs enough customers in each group; under 2 in either there is no
//! variance to estimate and no interval. The bounds are rounded outwards to
//! the minor unit, so the interval always holds the reported figure (the
//! exact I rounded to a whole minor unit, up or down).

/// z for a two-sided 95 % interval (the 0.975 quantile of the normal law).
const Z95: f64 = 1.959_963_984_540_054;

/// One group's revenue per customer, summed: customers, Σ revenue and
/// Σ revenue² (minor units; customers who did not buy count as 0).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RevenueSums {
    pub(crate) customers: u64,
    pub(crate) sum: f64,
    pub(crate) sum_squares: f64,
}

impl RevenueSums {
    fn mean(self) -> f64 {
        self.sum / self.customers as f64
    }

    /// The sample variance (n − 1), never below 0 (rounding in Q − S²/n).
    fn variance(self) -> f64 {
        let n = self.customers as f64;
        ((self.sum_squares - self.sum * self.sum / n) / (n - 1.0)).max(0.0)
    }

    fn usable(self) -> bool {
        self.customers >= 2 && self.sum.is_finite() && self.sum_squares.is_finite()
    }
}

/// The interval of incremental revenue in minor units, and whether it
/// excludes 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RevenueInterval {
    pub(crate) lo: i128,
    pub(crate) hi: i128,
    pub(crate) significant: bool,
}

/// The estimate I (unrounded) and its standard error; None under 2
/// customers in either group.
fn estimate(treatment: RevenueSums, control: RevenueSums) -> Option<(f64, f64)> {
    if !treatment.usable() || !control.usable() {
        return None;
    }
    let n_t = treatment.customers as f64;
    let value = n_t * (treatment.mean() - control.mean());
    let se = n_t * (treatment.variance() / n_t + control.variance() / control.customers as f64).sqrt();
    (value.is_finite() && se.is_finite()).then_some((value, se))
}

/// The 95 % interval of incremental revenue (module comment), bounds rounded
/// outwards to whole minor units.
pub(crate) fn incremental_revenue_ci95(treatment: RevenueSums, control: RevenueSums) -> Option<RevenueInterval> {
    let (value, se) = estimate(treatment, control)?;
    let (lo, hi) = ((value - Z95 * se).floor(), (value + Z95 * se).ceil());
    // An f64 beyond i128 cannot be a sum of money the report holds.
    let fits = |x: f64| x.abs() < 1e36;
    if !fits(lo) || !fits(hi) {
        return None;
    }
    let (lo, hi) = (lo as i128, hi as i128);
    Some(RevenueInterval { lo, hi, significant: lo > 0 || hi < 0 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// The sums of a list of per-customer revenues.
    fn sums(revenues: &[f64]) -> RevenueSums {
        RevenueSums {
            customers: revenues.len() as u64,
            sum: revenues.iter().sum(),
            sum_squares: revenues.iter().map(|r| r * r).sum(),
        }
    }

    /// By hand: treatment 0, 0, 100, 300 (n 4, mean 100, s² = (100000 − 40000)/3 = 20000);
    /// control 0, 0, 0, 0, 0, 0, 0, 200 (n 8, mean 25, s² = (40000 − 5000)/7 = 5000).
    /// I = 4 · 75 = 300; se = 4 · √(20000/4 + 5000/8) = 4 · √5625 = 300;
    /// interval 300 ± 587.989 → [−288, 888] (outwards), not significant.
    #[test]
    fn a_worked_example() {
        let t = sums(&[0.0, 0.0, 100.0, 300.0]);
        let c = sums(&[0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 200.0]);
        let (value, se) = estimate(t, c).expect("both groups");
        assert!((value - 300.0).abs() < 1e-9 && (se - 300.0).abs() < 1e-9, "{value} {se}");
        assert_eq!(incremental_revenue_ci95(t, c), Some(RevenueInterval { lo: -288, hi: 888, significant: false }));
    }

    #[test]
    fn too_few_customers_give_no_interval() {
        let one = sums(&[100.0]);
        let many = sums(&[0.0, 50.0, 100.0]);
        assert_eq!(incremental_revenue_ci95(one, many), None);
        assert_eq!(incremental_revenue_ci95(many, one), None);
        assert_eq!(incremental_revenue_ci95(many, sums(&[])), None);
    }

    #[test]
    fn a_clear_effect_is_significant() {
        let t = sums(&[100.0; 50]);
        let c: Vec<f64> = (0..50).map(|i| if i % 10 == 0 { 100.0 } else { 0.0 }).collect();
        let ci = incremental_revenue_ci95(t, sums(&c)).expect("interval");
        assert!(ci.significant && ci.lo > 0, "{ci:?}");
    }

    /// A seeded simulation against known truth: revenues drawn from known
    /// laws (a purchase with probability p, then a uniform amount), the
    /// true incremental revenue n_t·(μ_t − μ_c) falls inside the interval
    /// close to 95 % of the time.
    #[test]
    fn the_interval_covers_the_truth_about_95_percent_of_the_time() {
        let mut rng = StdRng::seed_from_u64(20261208);
        let (n_t, n_c, trials) = (400_usize, 200_usize, 2000);
        let (p_t, p_c, max_amount) = (0.12, 0.08, 500.0);
        let truth = n_t as f64 * (p_t - p_c) * max_amount / 2.0;
        let mut draw = |n: usize, p: f64| -> Vec<f64> {
            (0..n).map(|_| if rng.gen::<f64>() < p { rng.gen::<f64>() * max_amount } else { 0.0 }).collect()
        };
        let mut covered = 0;
        for _ in 0..trials {
            let (t, c) = (draw(n_t, p_t), draw(n_c, p_c));
            let ci = incremental_revenue_ci95(sums(&t), sums(&c)).expect("interval");
            covered += usize::from(ci.lo as f64 <= truth && truth <= ci.hi as f64);
        }
        let share = covered as f64 / trials as f64;
        eprintln!("95 % interval of incremental revenue: covered the truth in {covered} of {trials} seeded trials");
        assert!((0.93..=0.97).contains(&share), "coverage {share}");
    }

    fn revenues() -> impl Strategy<Value = Vec<f64>> {
        prop::collection::vec(prop_oneof![Just(0.0), 0.0..100_000.0_f64], 2..200)
    }

    proptest! {
        #[test]
        fn the_interval_holds_the_figure_rounded_either_way(t in revenues(), c in revenues()) {
            let (value, _) = estimate(sums(&t), sums(&c)).expect("both groups");
            let ci = incremental_revenue_ci95(sums(&t), sums(&c)).expect("interval");
            for reported in [value.floor() as i128, value.ceil() as i128] {
                prop_assert!(ci.lo <= reported && reported <= ci.hi, "{ci:?} {reported}");
            }
            prop_assert_eq!(ci.significant, ci.lo > 0 || ci.hi < 0);
        }

        #[test]
        fn swapping_the_groups_of_equal_size_mirrors_the_interval(t in revenues(), c in revenues()) {
            let n = t.len().min(c.len());
            let (t, c) = (&t[..n], &c[..n]);
            let (v, se) = estimate(sums(t), sums(c)).expect("both");
            let (sv, sse) = estimate(sums(c), sums(t)).expect("both");
            prop_assert!((v + sv).abs() <= 1e-6 * (1.0 + v.abs()) && (se - sse).abs() <= 1e-6 * (1.0 + se));
        }

        #[test]
        fn more_customers_alike_narrow_the_interval(t in revenues(), c in revenues(), k in 2_usize..8) {
            let (_, se) = estimate(sums(&t), sums(&c)).expect("both");
            let more = |x: &[f64]| x.repeat(k);
            let (_, bigger) = estimate(sums(&more(&t)), sums(&more(&c))).expect("both");
            // I scales with n_t (×k) while the mean's error shrinks: se grows by at most √k.
            prop_assert!(bigger <= se * (k as f64).sqrt() * (1.0 + 1e-9) + 1e-6, "{bigger} vs {se}·√{k}");
        }
    }
}
