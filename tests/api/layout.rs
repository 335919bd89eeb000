//! Structure checks: the two migration sets say the same thing, and the
//! layers of DESIGN.md hold (domain → nothing; store → not api/platform;
//! platform → not api; only the store uses diesel). Plain file reads, so they fail the suite at once.

use std::fs;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A line that must differ between dialects ends with `-- sqlite only` or
/// `-- postgres only` and is left out of the comparison; everything else is
/// the same schema, byte for byte.
fn comparable(text: &str, dialect: &str) -> Vec<String> {
    let marker = format!("-- {dialect} only");
    text.lines().map(str::trim_end).filter(|line| !line.ends_with(&marker)).map(str::to_string).collect()
}

fn migration_dirs(dialect: &str) -> Vec<String> {
    let dir = Path::new(ROOT).join("migrations").join(dialect);
    let mut names: Vec<String> = fs::read_dir(&dir)
        .expect("migrations dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().to_string())
        .collect();
    names.sort();
    names
}

#[test]
fn the_two_migration_sets_differ_only_in_marked_dialect_lines() {
    let (sqlite, postgres) = (migration_dirs("sqlite"), migration_dirs("postgres"));
    assert_eq!(sqlite, postgres, "every migration exists for both dialects");
    for name in &sqlite {
        for file in ["up.sql", "down.sql"] {
            let read = |d: &str| fs::read_to_string(Path::new(ROOT).join("migrations").join(d).join(name).join(file));
            let (lite, pg) = (read("sqlite").expect("sqlite file"), read("postgres").expect("postgres file"));
            let (lite, pg) = (comparable(&lite, "sqlite"), comparable(&pg, "postgres"));
            assert_eq!(lite, pg, "{name}/{file}: the dialects differ outside lines marked `-- <dialect> only`");
        }
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).expect("src dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Files of `layer` that name a forbidden module (`crate::x` or `use crate::{x…`).
fn violations(layer: &str, forbidden: &[&str]) -> Vec<String> {
    let mut files = Vec::new();
    rust_files(&Path::new(ROOT).join("src").join(layer), &mut files);
    let mut found = Vec::new();
    for file in files {
        let text = fs::read_to_string(&file).expect("read");
        for (n, line) in text.lines().enumerate() {
            let hit = forbidden.iter().any(|m| {
                line.contains(&format!("crate::{m}::"))
                    || line.contains(&format!("crate::{m};"))
                    || (line.contains("use crate::{") && line.contains(&format!("{m}::")))
            });
            if hit {
                found.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn layers_import_only_what_they_may() {
    let mut all = violations("domain", &["store", "api", "platform"]);
    all.extend(violations("store", &["api", "platform"]));
    all.extend(violations("platform", &["api"]));
    assert!(all.is_empty(), "layer rule broken:\n{}", all.join("\n"));
}

#[test]
fn the_layer_check_sees_a_forbidden_import() {
    // The checker itself must be able to fail: this file's own text names one.
    let sample = "use crate::api::views::money;";
    assert!(["api"].iter().any(|m| sample.contains(&format!("crate::{m}::"))));
}

/// `name:line: text` for each code line of `text` that names diesel
/// (comments are prose and do not count). The store owns every query and
/// transaction (DESIGN.md): api/ and platform/ reach the database only
/// through store functions and speak `store::Error`, never diesel's types.
fn diesel_lines(name: &str, text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        if code.contains("diesel::") || code.contains("use diesel") || code.contains("diesel(") {
            found.push(format!("{name}:{}: {}", n + 1, line.trim()));
        }
    }
    found
}

#[test]
fn only_the_store_uses_diesel() {
    let mut found = Vec::new();
    for layer in ["api", "platform"] {
        let mut files = Vec::new();
        rust_files(&Path::new(ROOT).join("src").join(layer), &mut files);
        for file in files {
            let text = fs::read_to_string(&file).expect("read");
            found.extend(diesel_lines(&file.display().to_string(), &text));
        }
    }
    assert!(found.is_empty(), "diesel named outside the store (move the query into src/store/):\n{}", found.join("\n"));
}

#[test]
fn the_diesel_check_sees_an_import_and_spares_prose() {
    let sample = "use diesel::Connection;\n// diesel::QueryResult in a comment\nfn f() -> diesel::QueryResult<()> {}\n";
    let found = diesel_lines("s", sample);
    assert_eq!(found, ["s:1: use diesel::Connection;", "s:3: fn f() -> diesel::QueryResult<()> {}"]);
    assert_eq!(diesel_lines("s", "#[derive(diesel(table_name = x))]").len(), 1);
    assert!(diesel_lines("s", "let s = store::page::entries(conn, shop, customer, None, 50)?;").is_empty());
}

/// The HTTP layer's error vocabulary: the inner layers speak their own
/// errors (`store::Error`, `platform::Error`, `Reason`) and never these.
const HTTP_ERROR_WORDS: [&str; 6] = ["crate::error", "AppError", "AppResult", "ErrorCode", "StatusCode", "actix_web"];

/// `name:line: text` for each line of `text` that names an HTTP error word,
/// up to the file's unit tests (`#[cfg(test)]`); comments count too, so a
/// doc link cannot smuggle one in. The status of a response the platform
/// client received (`reqwest::StatusCode`, spelled in full) is the
/// platform's own business, not an answer of ours.
fn http_error_words(name: &str, text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            break;
        }
        let ours = line.replace("reqwest::StatusCode", "");
        if HTTP_ERROR_WORDS.iter().any(|word| ours.contains(word)) {
            found.push(format!("{name}:{}: {}", n + 1, line.trim()));
        }
    }
    found
}

#[test]
fn inner_layers_do_not_name_the_http_error_types() {
    let mut found = Vec::new();
    for layer in ["domain", "store", "platform"] {
        let mut files = Vec::new();
        rust_files(&Path::new(ROOT).join("src").join(layer), &mut files);
        for file in files {
            let text = fs::read_to_string(&file).expect("read");
            found.extend(http_error_words(&file.display().to_string(), &text));
        }
    }
    assert!(found.is_empty(), "HTTP error types named below the api layer:\n{}", found.join("\n"));
}

#[test]
fn the_http_error_check_sees_a_planted_word_and_spares_unit_tests() {
    let sample =
        "use crate::domain::refusal::Reason;\nfn f() -> AppResult<()> {}\n#[cfg(test)]\nuse crate::error::AppError;\n";
    assert_eq!(http_error_words("sample", sample), vec!["sample:2: fn f() -> AppResult<()> {}".to_string()]);
    assert!(http_error_words("s", "if status == reqwest::StatusCode::OK {}").is_empty());
    assert_eq!(http_error_words("s", "reqwest::StatusCode::OK == StatusCode::OK").len(), 1);
    for word in HTTP_ERROR_WORDS {
        assert_eq!(http_error_words("s", &format!("let x = {word};")).len(), 1, "{word} is not seen");
    }
}

/// The words of claim statuses and outbox actions: outside the enums that
/// own them (`stored_state!` declarations) no code in store/, platform/ or
/// api/ spells them, so a state is always named by its variant.
const STATE_WORDS: [&str; 14] = [
    "pending",
    "active",
    "used",
    "refund_pending",
    "refunded",
    "failed",
    "expired",
    "create",
    "refund",
    "expire",
    "cleanup",
    "repush",
    "offer_create",
    "offer_delete",
];

/// Someone else's vocabulary that happens to share a word: the fragment of
/// the line that uses it, and whose word it is.
const FOREIGN_WORDS: [(&str, &str); 1] = [(r#"Some("refund")"#, "Shopify's transaction kind")];

/// `file:line: text` for each bare state word in `text`; lines between
/// `stored_state! {` and the closing `}` at the start of a line are the
/// enum's own, comments are prose, and a file's unit tests (from
/// `#[cfg(test)]` on) write other parties' payloads as fixtures.
fn bare_state_words(name: &str, text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut in_enum = false;
    for (n, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("#[cfg(test)]") {
            break;
        }
        if line.contains("stored_state! {") {
            in_enum = true;
        } else if in_enum && line == "}" {
            in_enum = false;
        }
        let code = line.split("//").next().unwrap_or("");
        let foreign = FOREIGN_WORDS.iter().any(|(fragment, _)| code.contains(fragment));
        let bare = STATE_WORDS.iter().any(|word| code.contains(&format!("\"{word}\"")));
        if bare && !in_enum && !foreign {
            found.push(format!("{name}:{}: {}", n + 1, line.trim()));
        }
    }
    found
}

#[test]
fn claim_statuses_and_outbox_actions_are_named_by_their_enums() {
    let mut found = Vec::new();
    for layer in ["store", "platform", "api"] {
        let mut files = Vec::new();
        rust_files(&Path::new(ROOT).join("src").join(layer), &mut files);
        for file in files {
            let text = fs::read_to_string(&file).expect("read");
            found.extend(bare_state_words(&file.display().to_string(), &text));
        }
    }
    assert!(found.is_empty(), "bare state words (use the enum's variant and as_str):\n{}", found.join("\n"));
}

#[test]
fn the_state_word_check_sees_a_bare_status_and_spares_the_enum() {
    let sample = "stored_state! {\n    pub enum S(\"s\") {\n        Used = \"used\",\n    }\n}\nif row.status == \"refunded\" {}\n";
    assert_eq!(bare_state_words("sample", sample), vec!["sample:6: if row.status == \"refunded\" {}".to_string()]);
}
