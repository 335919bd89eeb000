//! Shopify's published Admin GraphQL schemas, which the double checks every
//! request against: the introspection JSON that Shopify ships in the npm
//! package `@shopify/dev-mcp` (`dist/data/admin_<version>.json.gz`), pinned
//! with its integrity in `tests/shopify-schema/package.json`. When they are
//! not unpacked yet, `tests/shopify-schema/fetch.sh` is run once (it needs
//! npm); without npm the test fails saying what to run. Each version is read
//! once per process: gunzip (flate2), JSON → SDL (cynic-introspection),
//! SDL → a validated schema (apollo-compiler).
//!
//! Versions follow Shopify's rule: a stable version `YYYY-MM` is supported
//! for 12 months from its release; a request to a retired or unknown version
//! is answered as the oldest supported one (and the double records it).

use apollo_compiler::validation::Valid;
use apollo_compiler::Schema;
use chrono::NaiveDate;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

type Loaded = Result<(Arc<Valid<Schema>>, Duration), String>;

/// The unpacked package: its schema files by version, each read on first use.
struct Published {
    package: String,
    schemas: BTreeMap<String, (PathBuf, OnceLock<Loaded>)>,
}

fn here() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/shopify-schema")
}

/// `@shopify/dev-mcp@1.16.0` and the folder fetch.sh unpacks it to.
fn pinned() -> Result<(String, PathBuf), String> {
    let text = std::fs::read_to_string(here().join("package.json")).map_err(|e| format!("package.json: {e}"))?;
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|e| format!("package.json: {e}"))?;
    let pin = &json["shopifySchemas"];
    let (Some(name), Some(version)) = (pin["package"].as_str(), pin["version"].as_str()) else {
        return Err("package.json lacks shopifySchemas.package/version".into());
    };
    let folder = name.rsplit('/').next().unwrap_or(name);
    Ok((format!("{name}@{version}"), here().join(format!("{folder}-{version}"))))
}

/// Runs fetch.sh when the schemas are missing and npm is there.
fn fetch(folder: &Path) -> Result<(), String> {
    if folder.join(".complete").exists() {
        return Ok(());
    }
    let how = "run tests/shopify-schema/fetch.sh (needs node and npm; see README, \"The schema-true Shopify double\")";
    let npm = std::process::Command::new("npm").arg("--version").output();
    if !npm.is_ok_and(|out| out.status.success()) {
        return Err(format!("Shopify's published schemas are not unpacked and npm is missing: {how}"));
    }
    let status = std::process::Command::new("bash").arg(here().join("fetch.sh")).status();
    match status {
        Ok(status) if status.success() && folder.join(".complete").exists() => Ok(()),
        other => Err(format!("fetching Shopify's schemas failed ({other:?}): {how}")),
    }
}

fn published() -> Result<&'static Published, String> {
    static PUBLISHED: OnceLock<Result<Published, String>> = OnceLock::new();
    let found = PUBLISHED.get_or_init(|| {
        let (package, folder) = pinned()?;
        fetch(&folder)?;
        let entries = std::fs::read_dir(&folder).map_err(|e| format!("{}: {e}", folder.display()))?;
        let mut schemas = BTreeMap::new();
        for path in entries.filter_map(|entry| entry.ok().map(|e| e.path())) {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if let Some(version) = name.strip_prefix("admin_").and_then(|n| n.strip_suffix(".json.gz")) {
                schemas.insert(version.to_string(), (path.clone(), OnceLock::new()));
            }
        }
        if schemas.is_empty() {
            return Err(format!("no admin_<version>.json.gz in {}", folder.display()));
        }
        Ok(Published { package, schemas })
    });
    found.as_ref().map_err(Clone::clone)
}

/// The versions the package holds (dated ones in order, then `unstable`).
pub(super) fn versions() -> Result<Vec<String>, String> {
    Ok(published()?.schemas.keys().cloned().collect())
}

/// `@shopify/dev-mcp@1.16.0`
pub(super) fn package() -> Result<String, String> {
    Ok(published()?.package.clone())
}

/// The validated schema of a version the package holds, and how long it
/// took to read (once per process).
pub(super) fn schema(version: &str) -> Result<(Arc<Valid<Schema>>, Duration), String> {
    let published = published()?;
    let (path, loaded) =
        published.schemas.get(version).ok_or_else(|| format!("{} lacks {version}", published.package))?;
    loaded.get_or_init(|| load(path)).clone()
}

/// Parse times of the versions read so far.
pub(super) fn parse_times() -> Vec<(String, Duration)> {
    let Ok(published) = published() else { return Vec::new() };
    let read =
        published.schemas.iter().filter_map(|(v, (_, loaded))| Some((v.clone(), loaded.get()?.as_ref().ok()?.1)));
    read.collect()
}

/// gunzip → introspection JSON → SDL → validated schema.
fn load(path: &Path) -> Loaded {
    #[derive(serde::Deserialize)]
    struct Answer {
        data: cynic_introspection::IntrospectionQuery,
    }
    let started = Instant::now();
    let fail = |what: &str, e: &dyn std::fmt::Display| format!("{}: {what}: {e}", path.display());
    let file = std::fs::File::open(path).map_err(|e| fail("open", &e))?;
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(file).read_to_end(&mut json).map_err(|e| fail("gunzip", &e))?;
    let answer: Answer = serde_json::from_slice(&json).map_err(|e| fail("introspection JSON", &e))?;
    let sdl = answer.data.into_schema().map_err(|e| fail("introspection", &e))?.to_sdl();
    let schema = Schema::parse_and_validate(sdl, path).map_err(|e| fail("schema", &e.errors))?;
    Ok((Arc::new(schema), started.elapsed()))
}

/// Whether Shopify still serves a stable version on `today`: from its
/// release (the 1st of its month) for 12 months.
pub(super) fn supported(version: &str, today: NaiveDate) -> bool {
    let Some((year, month)) = version.split_once('-') else { return false };
    let (Ok(year), Ok(month)) = (year.parse::<i32>(), month.parse::<u32>()) else { return false };
    let (Some(released), Some(retired)) =
        (NaiveDate::from_ymd_opt(year, month, 1), NaiveDate::from_ymd_opt(year + 1, month, 1))
    else {
        return false;
    };
    released <= today && today < retired
}

/// The version a request to `requested` is answered as, and why it is not
/// the one asked for (None when it is).
pub(super) fn served_as(requested: &str, today: NaiveDate) -> Result<(String, Option<String>), String> {
    let versions = versions()?;
    let held = versions.iter().any(|v| v == requested);
    if held && (requested == "unstable" || supported(requested, today)) {
        return Ok((requested.to_string(), None));
    }
    let oldest = versions.iter().find(|v| supported(v, today));
    let served = oldest.or_else(|| versions.iter().rfind(|v| *v != "unstable")).cloned().unwrap_or_default();
    let why = match (held, oldest.is_some()) {
        (_, false) => format!("no version in {} is supported on {today}: bump the package", package()?),
        (true, true) => format!("API version {requested} is retired on {today}"),
        (false, true) => format!("API version {requested} is not a supported version (not in {})", package()?),
    };
    let why = format!("{why}; answered as {served}, the oldest supported");
    Ok((served, Some(why)))
}

/// Reads the schema a request to `requested` is answered with (errors are
/// reported when the request comes).
pub(super) fn warm(requested: &str) {
    if let Ok((version, _)) = served_as(requested, today()) {
        let _ = schema(&version);
    }
}

/// Whether a request to `requested` finds its schema read already.
pub(super) fn warmed(requested: &str) -> bool {
    let Ok((version, _)) = served_as(requested, today()) else { return true };
    published().is_ok_and(|p| p.schemas.get(&version).is_none_or(|(_, loaded)| loaded.get().is_some()))
}

/// Today, as the double judges versions.
pub(super) fn today() -> NaiveDate {
    chrono::Utc::now().date_naive()
}
