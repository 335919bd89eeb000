//! What the double's schema checks found. Every GraphQL request is checked
//! against Shopify's published schema of the version it is answered as; a
//! refused request, a deprecated input, a retired or unknown version, or an
//! answer of the double's own that does not fit the schema is a violation.
//! Violations fail the test that caused them: the double panics when it is
//! dropped with violations nobody took (`take_violations`).

use super::{schema, State};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ViolationKind {
    /// The document or the variables do not hold against the schema: Shopify
    /// answers top-level `errors` and does nothing.
    Invalid,
    /// A deprecated argument, input field, enum value or field was used
    /// (Shopify still accepts it, until it does not).
    Deprecated,
    /// The path names a version Shopify no longer (or never) serves.
    Version,
    /// The double's own answer does not fit the schema (a gap in the double).
    Answer,
}

#[derive(Clone, Debug)]
pub struct Violation {
    pub kind: ViolationKind,
    /// The version the request was answered as.
    pub version: String,
    /// `mutation discountCodeBasicCreate`
    pub operation: String,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?} on {} ({}): {}", self.kind, self.version, self.operation, self.message)
    }
}

/// What the schema checks saw: figures for reports.
#[derive(Clone, Debug, Default)]
pub struct SchemaChecks {
    /// GraphQL requests checked against a schema.
    pub requests: u64,
    /// Requests by operation (`mutation discountCodeBasicCreate`).
    pub operations: BTreeMap<String, u64>,
    /// Requests by the version they were answered as.
    pub versions: BTreeMap<String, u64>,
    /// Versions the requests' paths named.
    pub requested_versions: BTreeSet<String>,
    /// Violations found so far, taken or not.
    pub violations: u64,
    /// Deprecated uses among them.
    pub deprecated: u64,
}

/// The version a request is answered as, with its schema.
pub(super) struct Served {
    pub(super) version: String,
    pub(super) schema: std::sync::Arc<apollo_compiler::validation::Valid<apollo_compiler::Schema>>,
}

impl State {
    /// Counts one checked request.
    pub(super) fn checked(&mut self, requested: &str, version: &str, operation: &str) {
        let checks = &mut self.checks;
        checks.requests += 1;
        *checks.operations.entry(operation.to_string()).or_default() += 1;
        *checks.versions.entry(version.to_string()).or_default() += 1;
        checks.requested_versions.insert(requested.to_string());
    }

    pub(super) fn violation(&mut self, kind: ViolationKind, version: &str, operation: &str, message: String) {
        self.checks.violations += 1;
        self.checks.deprecated += u64::from(kind == ViolationKind::Deprecated);
        let violation = Violation { kind, version: version.into(), operation: operation.into(), message };
        self.violations.push(violation);
    }

    /// The schema a request to `requested` is answered with (as Shopify
    /// does: a retired or unknown version as the oldest supported one).
    pub(super) fn serve(&mut self, requested: &str) -> Result<Served, String> {
        let (version, why) = schema::served_as(requested, schema::today())?;
        if let Some(why) = why {
            self.violation(ViolationKind::Version, &version, "(any)", why);
        }
        let (schema, _) = schema::schema(&version)?;
        Ok(Served { version, schema })
    }
}

/// The panic message of a double dropped with violations.
pub(super) fn report(violations: &[Violation]) -> String {
    let lines: Vec<String> = violations.iter().take(20).map(|v| format!("  - {v}")).collect();
    let more = violations.len().saturating_sub(20);
    let more = if more > 0 { format!("\n  … and {more} more") } else { String::new() };
    format!(
        "the Shopify double saw {} violation(s) of Shopify's published Admin schema \
         (take_violations() where a test sends them on purpose):\n{}{more}",
        violations.len(),
        lines.join("\n")
    )
}
