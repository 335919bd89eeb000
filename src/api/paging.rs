//! `?limit=&cursor=` on every list: at most `MAX_LIMIT` rows a page
//! (`DEFAULT_LIMIT` when not given), and an opaque `next_cursor` that is
//! `null` on the last page. The cursor carries the (created_at, id) of
//! the last row; the store reads strictly after it and splits the page (store::page).

use super::views::{ClaimList, ClaimView, EntryList, EntryView, LotList, LotView};
use crate::error::{AppError, AppResult};
use crate::store::page::{self as store_page, Keyset};
use crate::store::{self, AnyConnection};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::NaiveDateTime;
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;

const DEFAULT_LIMIT: i64 = 50;
const MAX_LIMIT: i64 = 500;
const VERSION: &str = "k1";
const TIME_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.9f";
const MAX_CURSOR_CHARS: usize = 512;

/// Paging of a list (newest first).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageQuery {
    /// Rows in this page: 1-500, default 50.
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    pub(crate) limit: Option<String>,
    /// `next_cursor` of the previous page; absent for the first page.
    #[param(max_length = 512)]
    pub(crate) cursor: Option<String>,
}

/// A checked page request.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    pub(crate) limit: i64,
    pub(crate) after: Option<Keyset>,
}

impl PageQuery {
    /// 400 `invalid_request` with `details.fields` for a bad limit or cursor.
    pub(crate) fn check(&self) -> AppResult<Page> {
        let mut fields = serde_json::Map::new();
        let limit = match self.limit.as_deref().map(str::trim) {
            None => Some(DEFAULT_LIMIT),
            Some(raw) => raw.parse::<i64>().ok().filter(|n| (1..=MAX_LIMIT).contains(n)),
        };
        if limit.is_none() {
            fields.insert("limit".into(), json!(format!("a whole number from 1 to {MAX_LIMIT}")));
        }
        let after = match self.cursor.as_deref() {
            None => Some(None),
            Some(raw) => decode(raw).map(Some),
        };
        if after.is_none() {
            fields.insert("cursor".into(), json!("not a next_cursor of this list"));
        }
        match (limit, after) {
            (Some(limit), Some(after)) => Ok(Page { limit, after }),
            _ => {
                Err(AppError::invalid("the paging parameters are not valid").with_details(json!({ "fields": fields })))
            }
        }
    }
}

/// The opaque cursor of a keyset.
pub(crate) fn encode(key: &Keyset) -> String {
    let plain = format!("{VERSION}|{}|{}", key.created_at.format(TIME_FORMAT), key.id);
    URL_SAFE_NO_PAD.encode(plain)
}

/// A keyset from a cursor this service made; `None` for anything else.
fn decode(cursor: &str) -> Option<Keyset> {
    if cursor.is_empty() || cursor.len() > MAX_CURSOR_CHARS {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let plain = String::from_utf8(bytes).ok()?;
    let mut parts = plain.splitn(3, '|');
    if parts.next()? != VERSION {
        return None;
    }
    let created_at = NaiveDateTime::parse_from_str(parts.next()?, TIME_FORMAT).ok()?;
    let id = parts.next()?;
    let plausible = !id.is_empty() && id.len() <= 128 && id.chars().all(|c| c.is_ascii_graphic());
    plausible.then(|| Keyset { created_at, id: id.to_string() })
}

/// One page of a customer's ledger entries.
pub(crate) fn entry_page(
    conn: &mut AnyConnection,
    shop: &str,
    customer: &str,
    page: &Page,
) -> store::Result<EntryList> {
    let found = store_page::entries(conn, shop, customer, page.after.as_ref(), page.limit)?;
    Ok(EntryList {
        entries: found.rows.iter().map(EntryView::from).collect(),
        next_cursor: found.next.as_ref().map(encode),
    })
}

/// One page of a customer's claims.
pub(crate) fn claim_page(
    conn: &mut AnyConnection,
    shop: &str,
    customer: &str,
    page: &Page,
) -> store::Result<ClaimList> {
    let found = store_page::claims(conn, shop, customer, page.after.as_ref(), page.limit)?;
    Ok(ClaimList {
        claims: found.rows.iter().map(ClaimView::from).collect(),
        next_cursor: found.next.as_ref().map(encode),
    })
}

/// One page of a customer's lots, newest first.
pub(crate) fn lot_page(conn: &mut AnyConnection, shop: &str, customer: &str, page: &Page) -> store::Result<LotList> {
    let found = store_page::lots(conn, shop, customer, page.after.as_ref(), page.limit)?;
    Ok(LotList { lots: found.rows.iter().map(LotView::from).collect(), next_cursor: found.next.as_ref().map(encode) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_round_trips_and_junk_is_refused() {
        let at = NaiveDateTime::parse_from_str("2026-12-02T07:00:00.123456789", TIME_FORMAT).expect("time");
        let key = Keyset { created_at: at, id: "01939a-x".into() };
        assert_eq!(decode(&encode(&key)), Some(key));
        for junk in ["", "abc", "!!!", &URL_SAFE_NO_PAD.encode("k2|2026-12-02T07:00:00.0|x"), &"a".repeat(600)] {
            assert_eq!(decode(junk), None, "{junk}");
        }
        let query = |limit: &str| PageQuery { limit: Some(limit.into()), cursor: None }.check().map(|p| p.limit);
        assert_eq!(query("500").ok(), Some(500));
        for bad in ["0", "501", "-1", "x", "1e3", ""] {
            assert!(query(bad).is_err(), "{bad}");
        }
        assert_eq!(PageQuery::default().check().map(|p| p.limit).ok(), Some(DEFAULT_LIMIT));
    }
}
