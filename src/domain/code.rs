//! Discount codes: an optional merchant prefix and random characters from an
//! alphabet without look-alikes (no 0/O, 1/I/L), readable across a counter.

use rand::Rng;

/// 31 symbols: digits 2-9 and letters without I, L, O.
pub const ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";
/// 10 symbols of 31 carry log2(31^10) ≈ 49.5 bits, above the 40 required.
pub const RANDOM_LEN: usize = 10;

pub fn generate(prefix: Option<&str>, rng: &mut impl Rng) -> String {
    let random = random_part(rng);
    match prefix {
        Some(prefix) if !prefix.is_empty() => format!("{prefix}-{random}"),
        _ => random,
    }
}

/// A generated code drawn again: the same prefix, new random characters
/// (the random part is always the last `RANDOM_LEN`).
pub fn redraw(code: &str, rng: &mut impl Rng) -> String {
    let keep = code.chars().count().saturating_sub(RANDOM_LEN);
    code.chars().take(keep).chain(random_part(rng).chars()).collect()
}

fn random_part(rng: &mut impl Rng) -> String {
    (0..RANDOM_LEN).map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())])).collect()
}

/// Codes compare case-insensitively (as at the platform); stored upper-case.
pub fn normalize(raw: &str) -> Option<String> {
    let code = raw.trim().to_ascii_uppercase();
    let valid = !code.is_empty()
        && code.len() <= 64
        && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    valid.then_some(code)
}

/// Bits of randomness in a generated code.
pub fn entropy_bits() -> f64 {
    RANDOM_LEN as f64 * (ALPHABET.len() as f64).log2()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_redrawn_code_keeps_its_prefix_and_draws_the_rest_again() {
        let mut rng = rand::thread_rng();
        for prefix in [None, Some("VIP-24")] {
            let code = generate(prefix, &mut rng);
            let again = redraw(&code, &mut rng);
            assert_eq!(again.len(), code.len());
            assert_eq!(again[..again.len() - RANDOM_LEN], code[..code.len() - RANDOM_LEN], "{code} -> {again}");
            assert_ne!(again, code);
            assert!(again[again.len() - RANDOM_LEN..].bytes().all(|b| ALPHABET.contains(&b)), "{again}");
        }
    }
}
