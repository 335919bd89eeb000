//! Campaign code templates: literal text plus `{RANDOM}` (required),
//! `{FIRST_NAME}` and `{PREFIX}`; and the stable holdout hash.

use super::code::ALPHABET;
use rand::Rng;
use sha2::{Digest, Sha256};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Literal(String),
    Random,
    FirstName,
    Prefix,
}

/// Characters a literal may hold: what a platform code accepts and what
/// the native checkout's code normalisation keeps.
fn literal_ok(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_'
}

fn parts(template: &str) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut rest = template;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('{') {
            let (name, tail) = after.split_once('}').ok_or("a { without its }")?;
            parts.push(match name {
                "RANDOM" => Part::Random,
                "FIRST_NAME" => Part::FirstName,
                "PREFIX" => Part::Prefix,
                other => return Err(format!("unknown placeholder {{{other}}}; use RANDOM, FIRST_NAME or PREFIX")),
            });
            rest = tail;
            continue;
        }
        let end = rest.find('{').unwrap_or(rest.len());
        let literal = &rest[..end];
        if let Some(bad) = literal.chars().find(|c| !literal_ok(*c)) {
            return Err(match bad {
                ' ' => "Spaces aren't allowed in a code".to_string(),
                bad => format!("{bad:?} is not allowed in a code; use A-Z, 0-9, - and _"),
            });
        }
        parts.push(Part::Literal(literal.to_string()));
        rest = &rest[end..];
    }
    Ok(parts)
}

/// Checks an (upper-cased) template: `{RANDOM}` exactly once, each other
/// placeholder at most once, literal text of allowed characters only.
pub(crate) fn check(template: &str, random_length: usize) -> Result<(), String> {
    let parts = parts(template)?;
    let count = |p: &Part| parts.iter().filter(|q| *q == p).count();
    if count(&Part::Random) != 1 {
        return Err("must contain {RANDOM} exactly once".into());
    }
    if count(&Part::FirstName) > 1 || count(&Part::Prefix) > 1 {
        return Err("{FIRST_NAME} and {PREFIX} may appear once each".into());
    }
    let literal: usize = parts.iter().map(|p| if let Part::Literal(s) = p { s.len() } else { 0 }).sum();
    if literal + random_length + 10 + 12 > 64 {
        return Err("the longest code this makes would exceed 64 characters".into());
    }
    Ok(())
}

/// The first-name part: upper-cased ASCII letters only, at most 10.
fn first_name_part(name: Option<&str>) -> String {
    name.unwrap_or("").chars().filter(char::is_ascii_alphabetic).map(|c| c.to_ascii_uppercase()).take(10).collect()
}

/// Renders a checked template. An empty `{FIRST_NAME}` or `{PREFIX}` is
/// dropped together with one literal separator (`-` or `_`) right after it.
pub(crate) fn render(
    template: &str,
    random_length: usize,
    first_name: Option<&str>,
    prefix: Option<&str>,
    rng: &mut impl Rng,
) -> String {
    let Ok(parts) = parts(template) else { return random(random_length, rng) };
    let mut code = String::new();
    let mut drop_separator = false;
    for part in parts {
        let text = match part {
            Part::Literal(text) if drop_separator && text.starts_with(['-', '_']) => text[1..].to_string(),
            Part::Literal(text) => text,
            Part::Random => random(random_length, rng),
            Part::FirstName => first_name_part(first_name),
            Part::Prefix => prefix.unwrap_or("").to_string(),
        };
        drop_separator = text.is_empty();
        code.push_str(&text);
    }
    code
}

fn random(length: usize, rng: &mut impl Rng) -> String {
    (0..length).map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())])).collect()
}

/// Position of (campaign, customer) on a 0..10000 scale: stable across
/// events and edits, so a percentage change moves only boundary customers.
fn holdout_position(campaign_id: &str, customer_id: &str) -> u64 {
    let digest = Sha256::digest(format!("{campaign_id}:{customer_id}").as_bytes());
    let mut first = [0_u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first) % 10_000
}

/// Whether the customer is in the campaign's control group.
pub(crate) fn held_out(campaign_id: &str, customer_id: &str, holdout_percent: i64) -> bool {
    let threshold = u64::try_from(holdout_percent.clamp(0, 100)).unwrap_or(0) * 100;
    holdout_position(campaign_id, customer_id) < threshold
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn templates() {
        assert!(check("{FIRST_NAME}-{RANDOM}", 8).is_ok());
        assert!(check("VIP-{RANDOM}", 8).is_ok());
        assert!(check("VIP", 8).is_err());
        assert!(check("{RANDOM}{RANDOM}", 8).is_err());
        assert_eq!(check("A B{RANDOM}", 8), Err("Spaces aren't allowed in a code".to_string()));
        assert!(check("A.B{RANDOM}", 8).is_err_and(|e| e.contains("'.' is not allowed")));
        assert!(check("{NAME}{RANDOM}", 8).is_err());
        assert!(check("{RANDOM", 8).is_err());
    }

    #[test]
    fn unknown_first_name_drops_one_separator() {
        let mut rng = rand::thread_rng();
        let code = render("{FIRST_NAME}-VIP-{RANDOM}", 8, None, None, &mut rng);
        assert!(code.starts_with("VIP-") && code.len() == 12, "{code}");
        let code = render("{FIRST_NAME}-{RANDOM}", 8, Some("Zoë-Ann O'Brien-Smith"), None, &mut rng);
        assert!(code.starts_with("ZOANNOBRIE-"), "{code}");
    }

    proptest! {
        #[test]
        fn holdout_is_monotonic_in_percent(c in "[a-z0-9]{1,12}", u in "[0-9]{1,12}", a in 0i64..=50, b in 0i64..=50) {
            let (lo, hi) = (a.min(b), a.max(b));
            // Raising the percentage never moves a held-out customer back.
            prop_assert!(!held_out(&c, &u, lo) || held_out(&c, &u, hi));
            prop_assert_eq!(held_out(&c, &u, lo), held_out(&c, &u, lo));
        }

        #[test]
        fn rendered_codes_are_normal(name in proptest::option::of(".{0,20}"), len in 8usize..=16) {
            let mut rng = rand::thread_rng();
            let code = render("{PREFIX}-{FIRST_NAME}-{RANDOM}", len, name.as_deref(), Some("SPRING"), &mut rng);
            prop_assert_eq!(super::super::code::normalize(&code), Some(code.clone()));
        }
    }
}
