//! Who a customer is, as far as the merchant told us: first and last name,
//! e-mail and phone, from the platform's webhooks and the merchant's events;
//! and what a search for a customer looks for (prefixes, ignoring case).
//!
//! A search is answered from prefix ranges on indexed columns: a text `q`
//! matches every key `k` with `q <= k < q + U+10FFFF` compared byte-wise
//! (SQLite's BINARY collation, PostgreSQL's `text_pattern_ops`), which is
//! exactly the keys starting with `q` (a string below that bound that does
//! not start with `q` would have to differ from `q` at a byte where it is
//! larger, and then it is above the bound).

/// The largest code point: appended to a prefix it bounds the prefix's range.
const PREFIX_END: char = '\u{10FFFF}';

/// A search shorter than this many digits does not look at phone numbers.
const PHONE_MIN_DIGITS: usize = 3;

/// Personal data about a customer; `None` = not told (keeps what is stored).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Profile {
    pub(crate) first_name: Option<String>,
    pub(crate) last_name: Option<String>,
    pub(crate) email: Option<String>,
    /// Digits only, as given (no country code is guessed).
    pub(crate) phone: Option<String>,
}

impl Profile {
    pub(crate) fn is_empty(&self) -> bool {
        self.first_name.is_none() && self.last_name.is_none() && self.email.is_none() && self.phone.is_none()
    }
}

/// A phone number as digits only; None when fewer than 3 or more than 20
/// digits remain (not a phone number).
pub(crate) fn phone_digits(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    (PHONE_MIN_DIGITS..=20).contains(&digits.len()).then_some(digits)
}

/// What one search looks for: an id prefix, name and e-mail prefixes
/// (each case-folded the ways a database may fold), and a phone prefix when
/// the query reads as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SearchTerms {
    /// The query as typed (customer ids are matched exactly by prefix).
    pub(crate) id_prefix: String,
    /// Lower-cased forms of the query: ASCII-only (SQLite's `lower()`) and
    /// full Unicode (PostgreSQL's); one entry when they agree.
    pub(crate) text_prefixes: Vec<String>,
    pub(crate) phone_prefix: Option<String>,
}

impl SearchTerms {
    /// None for an empty query (every customer, by id).
    pub(crate) fn parse(query: &str) -> Option<Self> {
        let query = query.trim();
        if query.is_empty() {
            return None;
        }
        let mut text_prefixes = vec![query.to_ascii_lowercase()];
        let unicode = query.to_lowercase();
        if unicode != text_prefixes[0] {
            text_prefixes.push(unicode);
        }
        let looks_like_phone = query.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
        let phone_prefix = looks_like_phone.then(|| phone_digits(query)).flatten();
        Some(Self { id_prefix: query.to_string(), text_prefixes, phone_prefix })
    }
}

/// The exclusive upper bound of the keys that start with `prefix`.
pub(crate) fn prefix_end(prefix: &str) -> String {
    let mut end = String::with_capacity(prefix.len() + 4);
    end.push_str(prefix);
    end.push(PREFIX_END);
    end
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn phones_keep_digits_only() {
        assert_eq!(phone_digits("+1 (555) 010-0199").as_deref(), Some("15550100199"));
        assert_eq!(phone_digits("12"), None);
        assert_eq!(phone_digits(&"9".repeat(21)), None);
    }

    #[test]
    fn search_terms() {
        assert_eq!(SearchTerms::parse("  "), None);
        let t = SearchTerms::parse("Alex").expect("terms");
        assert_eq!(
            (t.id_prefix.as_str(), t.text_prefixes.clone(), t.phone_prefix),
            ("Alex", vec!["alex".into()], None)
        );
        let e = SearchTerms::parse("Élodie").expect("terms");
        assert_eq!(e.text_prefixes, vec!["Élodie".to_string(), "élodie".to_string()]);
        assert_eq!(SearchTerms::parse("+1 555").expect("terms").phone_prefix.as_deref(), Some("1555"));
        assert_eq!(SearchTerms::parse("4201").expect("terms").phone_prefix.as_deref(), Some("4201"));
        assert_eq!(SearchTerms::parse("a1234").expect("terms").phone_prefix, None);
    }

    proptest! {
        /// Byte-wise, the range [q, prefix_end(q)) holds exactly the strings starting with q.
        #[test]
        fn the_prefix_range_holds_exactly_the_strings_with_the_prefix(q in "[a-zé@.]{0,4}", k in "[a-zé@.]{0,6}") {
            let inside = q.as_bytes() <= k.as_bytes() && k.as_bytes() < prefix_end(&q).as_bytes();
            prop_assert_eq!(inside, k.starts_with(&q), "{:?} {:?}", q, k);
        }
    }
}
