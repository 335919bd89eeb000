//! Structure checks: the two migration sets say the same thing, and the
//! layers of DESIGN.md hold (domain → nothing; store → not api/platform;
//! platform → not api). Plain file reads, so they fail the suite at once.

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
