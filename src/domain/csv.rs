//! CSV for the admin's exports (RFC 4180): every cell quoted when it holds a
//! comma, quote or line break; a cell that a spreadsheet would run as a
//! formula (starting with `=`, `+`, `-`, `@`, tab or carriage return) is
//! prefixed with `'` so it stays text.

/// One cell, escaped.
pub(crate) fn cell(raw: &str) -> String {
    let guarded = if raw.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{raw}") } else { raw.to_string() };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// A number cell: never guarded (a negative delta stays a number).
pub(crate) fn number(n: i64) -> String {
    n.to_string()
}

/// One line, CRLF-terminated. Number cells are passed through `number`
/// by the caller and must not go through `cell`.
pub(crate) fn line(cells: &[String]) -> String {
    let mut out = cells.join(",");
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escaping_and_formula_guard() {
        assert_eq!(cell("plain"), "plain");
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("-2"), "'-2");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(number(-5), "-5");
        assert_eq!(line(&[cell("a"), number(1)]), "a,1\r\n");
    }

    /// Reads one quoted or bare cell back, as a spreadsheet would.
    fn unquote(cell: &str) -> String {
        match cell.strip_prefix('"').and_then(|c| c.strip_suffix('"')) {
            Some(inner) => inner.replace("\"\"", "\""),
            None => cell.to_string(),
        }
    }

    proptest! {
        #[test]
        fn a_cell_round_trips_and_never_starts_a_formula(raw in "\\PC{0,30}") {
            let escaped = cell(&raw);
            let back = unquote(&escaped);
            prop_assert!(!back.starts_with(['=', '+', '-', '@']));
            prop_assert_eq!(back.strip_prefix('\'').filter(|_| raw.starts_with(['=', '+', '-', '@', '\t', '\r'])).unwrap_or(&back), raw.as_str());
        }
    }
}
