//! Extreme dates and sums: no panic, no wrap-around.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn dates_outside_the_years_0000_to_9999_are_refused() {
    let app = TestApp::spawn().await;
    for query in [
        "to=-262143-01-01T00:00:00Z",
        "from=-262143-01-01T00:00:00Z&to=2026-01-01T00:00:00Z",
        "from=-0001-12-01T00:00:00Z&to=0000-01-15T00:00:00Z",
        // A default `from` 30 days before would be year -1.
        "to=0000-01-15T00:00:00Z",
        "from=9999-12-30T00:00:00Z&to=+10000-01-02T00:00:00Z",
        "to=+262142-12-31T23:59:59Z",
    ] {
        let path = format!("/api/v1/admin/analytics?{}", query.replace('+', "%2B"));
        let response = app.client.get(app.url(&path)).bearer_auth(app.admin()).send().await;
        let response = response.unwrap_or_else(|e| panic!("{query}: not answered: {e}"));
        expect_error(response, StatusCode::BAD_REQUEST, "invalid_request").await;
    }
    let path = "/api/v1/admin/analytics?from=0000-01-01T00:00:00Z&to=0000-12-31T00:00:00Z";
    let (status, report) = status_json(app.get(path, &app.admin()).await).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    for field in ["from", "to"] {
        let text = report[field].as_str().unwrap_or_default();
        assert!(chrono::DateTime::parse_from_rfc3339(text).is_ok(), "{field} {text} is RFC 3339");
    }
}

#[tokio::test]
async fn analytics_totals_do_not_wrap() {
    let app = TestApp::spawn().await;
    app.enable_program("online", "100", 100, 10_000).await;
    app.grant("1", 5_000).await;
    let biggest = "92233720368547758.07"; // i64::MAX minor units
    for order in ["o-1", "o-2"] {
        let claim = app.claim_ok("1", 100).await;
        let response = app.redeem(claim["code"].as_str().expect("code"), "1", order, biggest).await;
        let (status, body) = status_json(response).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let response = app.client.get(app.url("/api/v1/admin/analytics")).bearer_auth(app.admin()).send().await;
    let (status, report) = status_json(response.expect("analytics answered")).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["orders"]["count"], 2);
    assert_eq!(report["orders"]["total_value"], Value::from("184467440737095516.14"), "{report}");
    assert_eq!(report["orders"]["average_value"], Value::from(biggest), "{report}");
}
