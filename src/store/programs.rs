//! Program versions: every change is a new row; claims record the version.

use super::error::{Error, Result};
use super::schema::{programs, shops};
use super::{is_unique_violation, AnyConnection};
use crate::domain::program::{Channel, ProgramSettings};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone)]
pub struct Program {
    pub(crate) channel: Channel,
    pub(crate) version: i64,
    pub(crate) settings: ProgramSettings,
    pub(crate) updated_at: NaiveDateTime,
}

pub(crate) fn insert_version(
    conn: &mut AnyConnection,
    shop_id: &str,
    channel: Channel,
    version: i64,
    settings: &ProgramSettings,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let json = serde_json::to_string(settings).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))?;
    diesel::insert_into(programs::table)
        .values((
            programs::shop_id.eq(shop_id),
            programs::channel.eq(channel.as_str()),
            programs::version.eq(version),
            programs::settings.eq(json),
            programs::created_at.eq(now),
        ))
        .execute(conn)
        .map(|_| ())
}

/// The channel's newest version number (the lean claim's re-check).
pub(crate) fn current_version(conn: &mut AnyConnection, shop_id: &str, channel: Channel) -> QueryResult<i64> {
    let query = programs::table
        .filter(programs::shop_id.eq(shop_id))
        .filter(programs::channel.eq(channel.as_str()))
        .order(programs::version.desc())
        .select(programs::version);
    super::on_backend!(conn, |c| query.get_result(c))
}

/// A program version parsed once, with its JSON as a claim snapshots it.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub(crate) version: i64,
    pub(crate) settings: ProgramSettings,
    pub(crate) json: String,
    pub(crate) created_at: NaiveDateTime,
}

/// Parsed program settings per (shop, channel), checked against the newest
/// version number on every use (versions are immutable rows).
#[derive(Default)]
pub(crate) struct Cache {
    entries: std::sync::Mutex<std::collections::HashMap<(String, &'static str), std::sync::Arc<Parsed>>>,
}

impl Cache {
    /// Bound on the entries kept (a shop beyond it is parsed again).
    const MAX: usize = 10_000;

    pub(crate) fn current(
        &self,
        conn: &mut AnyConnection,
        shop_id: &str,
        channel: Channel,
    ) -> Result<std::sync::Arc<Parsed>> {
        let version = current_version(conn, shop_id, channel)?;
        let key = (shop_id.to_string(), channel.as_str());
        if let Some(hit) = self.entries.lock().ok().and_then(|m| m.get(&key).cloned()) {
            if hit.version == version {
                return Ok(hit);
            }
        }
        let query = programs::table.find((shop_id, channel.as_str(), version));
        let (stored, created_at): (String, NaiveDateTime) =
            super::on_backend!(conn, |c| query.select((programs::settings, programs::created_at)).get_result(c))?;
        let settings = parse_settings(&stored)?;
        // What a claim stores: the settings as serialized now (as before).
        let json = serde_json::to_string(&settings).map_err(Error::internal)?;
        let parsed = std::sync::Arc::new(Parsed { version, settings, json, created_at });
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= Self::MAX {
                entries.clear();
            }
            entries.insert(key, parsed.clone());
        }
        Ok(parsed)
    }
}

impl Parsed {
    /// The version as a wallet shows it.
    pub(crate) fn program(&self, channel: Channel) -> Program {
        Program { channel, version: self.version, settings: self.settings.clone(), updated_at: self.created_at }
    }
}

/// The channel's current (newest) version.
pub(crate) fn current(conn: &mut AnyConnection, shop_id: &str, channel: Channel) -> Result<Program> {
    let query = programs::table
        .filter(programs::shop_id.eq(shop_id))
        .filter(programs::channel.eq(channel.as_str()))
        .order(programs::version.desc())
        .select((programs::version, programs::settings, programs::created_at));
    let (version, settings, updated_at): (i64, String, NaiveDateTime) =
        super::on_backend!(conn, |c| query.get_result(c))?;
    let settings = parse_settings(&settings)?;
    Ok(Program { channel, version, settings, updated_at })
}

pub fn parse_settings(json: &str) -> Result<ProgramSettings> {
    serde_json::from_str(json).map_err(Error::internal)
}

/// Stores `settings` as the next version. Saves of one shop's programs are
/// serialized by a row lock on the shop (a no-op update: PostgreSQL holds it
/// to the end of the transaction; SQLite writes are serial anyway), so a
/// burst of saves queues instead of racing on the primary key and running
/// out of retries. The retry stays for a caller outside a transaction.
pub fn save_new_version(
    conn: &mut AnyConnection,
    shop_id: &str,
    channel: Channel,
    settings: &ProgramSettings,
    now: NaiveDateTime,
) -> Result<Program> {
    diesel::update(shops::table.find(shop_id)).set(shops::updated_at.eq(shops::updated_at)).execute(conn)?;
    for _ in 0..5 {
        let previous = current(conn, shop_id, channel)?;
        if previous.settings == *settings {
            return Ok(previous);
        }
        let version = previous.version + 1;
        match conn.transaction(|c| insert_version(c, shop_id, channel, version, settings, now)) {
            Ok(()) => return Ok(Program { channel, version, settings: settings.clone(), updated_at: now }),
            Err(e) if is_unique_violation(&e) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(Error::Unavailable(anyhow::anyhow!("program version kept changing")))
}
