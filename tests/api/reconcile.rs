//! Reconciliation reads a shop's claims in bounded pages (keyset on the id):
//! every claim is looked at once, however many pages it takes.

use crate::helpers::*;
use crate::platform::{active_claim, base_program, eventually, outbox_drains, program, rig, Rig};
use loyalty_wallet::platform::{sweeper, Platform};
use loyalty_wallet::store::reconcile;
use std::time::Duration;

/// The claim ids of every page the store gives with pages of `batch`.
async fn pages(app: &TestApp, batch: i64) -> Vec<Vec<String>> {
    let since = chrono::DateTime::UNIX_EPOCH.naive_utc();
    let mut pages = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let from = after.clone();
        let page = app
            .store
            .read::<_, loyalty_wallet::error::AppError, _>(move |conn| {
                Ok(reconcile::claims_to_check(conn, SHOP, since, from.as_deref(), batch)?)
            })
            .await
            .expect("page");
        let ids: Vec<String> = page.iter().map(|claim| claim.id.clone()).collect();
        after = ids.last().cloned();
        if ids.is_empty() {
            return pages;
        }
        pages.push(ids);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconciliation_pages_through_claims_and_repairs_each_once() {
    let Rig { app, double } = rig().await;
    program(&app, base_program()).await;
    app.grant("1", 1_000).await;
    let mut codes = Vec::new();
    for _ in 0..5 {
        let claim = active_claim(&app, "1", 100).await;
        let code = claim["code"].as_str().expect("code").to_string();
        double.delete_out_of_band(&code).expect("live");
        codes.push(code);
    }
    let paged = pages(&app, 2).await;
    assert_eq!(paged.iter().map(Vec::len).collect::<Vec<_>>(), vec![2, 2, 1], "{paged:?}");
    let mut ids: Vec<String> = paged.concat();
    let in_order = ids.clone();
    ids.sort();
    ids.dedup();
    assert_eq!(ids, in_order, "pages run in id order and never repeat a claim");

    let platform = Platform::new(app.store.clone(), app.settings.platform.clone()).expect("platform");
    let report = sweeper::reconcile_in_batches(&platform, 2).await.expect("reconcile");
    assert_eq!((report.checked, report.missing_repushed, report.errors), (5, 5, 0), "{report:?}");
    eventually("every lost code back", Duration::from_secs(10), || async {
        let live = double.live_codes();
        codes.iter().all(|code| live.iter().filter(|c| *c == code).count() == 1).then_some(())
    })
    .await;
    outbox_drains(&app, Duration::from_secs(5)).await;
    let again = sweeper::reconcile_in_batches(&platform, 2).await.expect("reconcile");
    assert_eq!((again.checked, again.missing_repushed, again.stale_deleted), (5, 0, 0), "{again:?}");
}
