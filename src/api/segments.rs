//! The store's customer segments for the admin's eligibility picker
//! asked of the platform each time (names change).
//! A native shop has none: 422 `not_eligible` with `segments_unavailable`.

use super::auth::AdminAuth;
use crate::error::{AppError, AppResult, ErrorCode, ErrorEnvelope};
use crate::platform::segments::{self, Segment};
use crate::platform::shopify::ShopCreds;
use crate::platform::Platform;
use crate::store::{shops, Store};
use actix_web::http::StatusCode;
use actix_web::web;
use serde::Serialize;
use std::sync::Arc;
use utoipa::ToSchema;

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct SegmentList {
    /// Sorted by name; at most 250.
    pub(crate) segments: Vec<Segment>,
}

#[utoipa::path(get, path = "/api/v1/admin/segments", summary = "The shop's customer segments from the platform", tag = "admin", security(("bearer" = [])),
    responses((status = 200, body = SegmentList),
        (status = 422, body = ErrorEnvelope, description = "not_eligible, details.reason segments_unavailable: no Shopify connection"),
        (status = 503, body = ErrorEnvelope, description = "the platform cannot answer right now")))]
pub(crate) async fn list_segments(
    auth: AdminAuth,
    store: web::Data<Store>,
    platform: web::Data<Arc<Platform>>,
) -> AppResult<web::Json<SegmentList>> {
    let shop = auth.shop.as_str().to_string();
    let row = store.write(move |conn| shops::ensure(conn, &shop)).await?;
    let Some(creds) = ShopCreds::of(&row, &platform.settings) else {
        return Err(AppError::new(ErrorCode::NotEligible, "segments need a connected Shopify store")
            .with_status(StatusCode::UNPROCESSABLE_ENTITY)
            .with_details(serde_json::json!({"reason": "segments_unavailable"})));
    };
    let segments = segments::list(&platform.client, &creds).await.map_err(|error| {
        let mut refusal = AppError::unavailable(anyhow::anyhow!("segments list: {error:?}"));
        refusal.message = "the store's segments cannot be listed right now".into();
        refusal
    })?;
    Ok(web::Json(SegmentList { segments }))
}
