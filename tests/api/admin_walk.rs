//! Issue 30, the merchant's data (points 3 and 4), over HTTP on both
//! databases: the report's incremental revenue with its 95 % interval,
//! recomputed here from each customer's orders; and the deliveries summary
//! behind the Shop tab's warning, with a retry of a dead delivery.

use crate::campaign_report::settled_offers;
use crate::campaigns::create;
use crate::events::{campaign, event_ok};
use crate::helpers::*;
use loyalty_wallet::config::Settings;
use reqwest::StatusCode;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Duration;

/// n_t · (mean_t − mean_c) and its half-width 1.96 · n_t · √(s_t²/n_t + s_c²/n_c),
/// written out again from the per-customer revenues (domain::incremental's formula).
fn interval(treatment: &[f64], control: &[f64]) -> (f64, f64, f64) {
    let stats = |x: &[f64]| {
        let n = x.len() as f64;
        let mean = x.iter().sum::<f64>() / n;
        (n, mean, x.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0))
    };
    let ((nt, mt, vt), (nc, mc, vc)) = (stats(treatment), stats(control));
    let value = nt * (mt - mc);
    let half = 1.959_963_984_540_054 * nt * (vt / nt + vc / nc).sqrt();
    (value, value - half, value + half)
}

fn cents(text: &Value) -> i64 {
    let s = text.as_str().expect("decimal string");
    let value: f64 = s.parse().expect("number");
    (value * 100.0).round() as i64
}

#[tokio::test]
async fn incremental_revenue_comes_with_its_interval_computed_per_customer() {
    let app = TestApp::spawn().await;
    let mut body = campaign(json!({"kind": "custom", "event": "ci"}));
    body["holdout_percent"] = json!(50);
    let c = create(&app, &body).await;
    let id = c["id"].as_str().expect("id").to_string();
    let customers: Vec<String> = (0..40).map(|i| format!("ci{i:02}")).collect();
    for customer in &customers {
        event_ok(&app, &json!({"customer_id": customer, "kind": "custom", "name": "ci"})).await;
    }
    let offers = settled_offers(&app, &id).await;
    let group: HashMap<String, bool> = offers
        .iter()
        .map(|o| (o["customer_id"].as_str().expect("customer").to_string(), o["status"] != "held_out"))
        .collect();
    // Every third customer buys once (some twice): revenue per customer in cents.
    let mut revenue: HashMap<&str, f64> = HashMap::new();
    for (i, customer) in customers.iter().enumerate() {
        let orders: &[i64] = match i % 6 {
            0 => &[4_250],
            3 => &[1_999, 3_001],
            _ => &[],
        };
        for (n, cents) in orders.iter().enumerate() {
            let subtotal = format!("{}.{:02}", cents / 100, cents % 100);
            let order = json!({"customer_id": customer, "kind": "order", "data": {"order_id": format!("{customer}-{n}"), "subtotal": subtotal}});
            event_ok(&app, &order).await;
            *revenue.entry(customer).or_default() += *cents as f64;
        }
    }
    let split = |treated: bool| -> Vec<f64> {
        customers
            .iter()
            .filter(|c| group[*c] == treated)
            .map(|c| revenue.get(c.as_str()).copied().unwrap_or(0.0))
            .collect()
    };
    let (treatment, control) = (split(true), split(false));
    assert!(treatment.len() >= 2 && control.len() >= 2, "both groups: {} / {}", treatment.len(), control.len());
    let (value, lo, hi) = interval(&treatment, &control);

    let (status, r) = status_json(app.get(&format!("/api/v1/admin/campaigns/{id}/report"), &app.admin()).await).await;
    assert_eq!(status, StatusCode::OK, "{r}");
    // The report scales the control down to whole cents, so its figure is within a cent of the exact one.
    assert!((cents(&r["incremental_revenue"]) as f64 - value).abs() < 1.0, "{value} {r}");
    let ci = r["incremental_revenue_ci95"].as_array().expect("an interval");
    assert_eq!((cents(&ci[0]), cents(&ci[1])), (lo.floor() as i64, hi.ceil() as i64), "{r}");
    assert_eq!(r["incremental_revenue_significant"], json!(lo.floor() > 0.0 || hi.ceil() < 0.0));
    let lift = &r["lift"];
    let (llo, lhi) = (lift["ci95"][0].as_f64().expect("lo"), lift["ci95"][1].as_f64().expect("hi"));
    assert_eq!(lift["significant"], json!(llo > 0.0 || lhi < 0.0), "{lift}");

    // Without a control group: no incremental figure, no interval.
    let plain = create(&app, &campaign(json!({"kind": "custom", "event": "plain"}))).await;
    event_ok(&app, &json!({"customer_id": "p1", "kind": "custom", "name": "plain"})).await;
    let pid = plain["id"].as_str().expect("id");
    settled_offers(&app, pid).await;
    let (_, r) = status_json(app.get(&format!("/api/v1/admin/campaigns/{pid}/report"), &app.admin()).await).await;
    assert!(r["incremental_revenue"].is_null() && r["incremental_revenue_ci95"].is_null(), "{r}");
    assert!(r["incremental_revenue_significant"].is_null() && r["lift"]["significant"].is_null(), "{r}");
}

async fn summary(app: &TestApp) -> Value {
    let (status, s) = status_json(app.get("/api/v1/admin/notifications/summary", &app.admin()).await).await;
    assert_eq!(status, StatusCode::OK, "{s}");
    s
}

#[tokio::test]
async fn the_deliveries_summary_counts_failures_and_a_retry_takes_one_back() {
    let (database_url, dir) = fresh_database();
    let mut vars: HashMap<String, String> = HashMap::new();
    for (k, v) in [
        ("DATABASE_URL", database_url.as_str()),
        ("LOYALTY_BIND", "127.0.0.1:0"),
        ("LOYALTY_APP_SECRET", SECRET),
        ("LOYALTY_CLIENT_ID", CLIENT_ID),
        ("LOYALTY_ALLOW_LOOPBACK_URLS", "1"),
        ("LOYALTY_RELAY_INTERVAL_MS", "20"),
        ("LOYALTY_NOTIFY_RETRY_MAX_MS", "20"),
        ("LOYALTY_NOTIFY_RETRY_WINDOW_SECS", "0"),
    ] {
        vars.insert(k.into(), v.into());
    }
    let app = TestApp::spawn_with(Settings::from_map(&vars).expect("settings"), dir).await;
    assert_eq!(summary(&app).await, json!({"pending": 0, "retrying": 0, "dead": 0, "last_failure": null}));
    // Nothing listens on port 9 of the loopback: every try fails at once.
    let notify = json!({"url": "http://127.0.0.1:9/hook", "secret": "walk-three-secret-0123456789"});
    let shop = json!({"currency": "USD", "earn_points_per_unit": "1", "notify": notify});
    assert_eq!(app.put("/api/v1/admin/shop", &app.admin(), &shop).await.status(), StatusCode::OK);
    app.enable_program("online", "100", 100, 10_000).await;
    app.grant("d1", 1_000).await;
    app.claim_ok("d1", 100).await;
    app.claim_ok("d1", 200).await;
    let mut s = Value::Null;
    for _ in 0..400 {
        s = summary(&app).await;
        if s["dead"] == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!((s["dead"].as_i64(), s["pending"].as_i64()), (Some(2), Some(0)), "{s}");
    let last = &s["last_failure"];
    assert_eq!(
        (last["type"].as_str(), last["status"].as_str(), last["error"].as_str()),
        (Some("claim.created"), Some("dead"), Some("no answer")),
        "{s}"
    );
    let id = last["id"].as_str().expect("id");
    let retried = app.post(&format!("/api/v1/admin/notifications/{id}/retry"), &app.admin(), None, &json!({})).await;
    assert_eq!(retried.status(), StatusCode::ACCEPTED);
    let (dead, pending) = (summary(&app).await["dead"].as_i64(), summary(&app).await["pending"].as_i64());
    assert!(
        dead == Some(1) || dead == Some(2),
        "the retried one left the dead letters (or died again): {dead:?} {pending:?}"
    );
    let other = app
        .get(
            "/api/v1/admin/notifications/summary",
            &app.token_for("other.myshopify.com", loyalty_wallet::auth::Role::Admin, "x"),
        )
        .await;
    let (_, other) = status_json(other).await;
    assert_eq!(other["dead"], 0, "another shop sees its own deliveries only");
}
