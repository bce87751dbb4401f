//! Random tokens for links and forms (password resets, checkouts).

/// 32 random bytes from the operating system, as 64 lowercase hex digits.
#[cfg(feature = "server")]
pub fn random_hex() -> String {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    let mut bytes = [0_u8; 32];
    OsRng.fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `token` could be one of `random_hex`'s (64 hex digits): anything else is
/// refused without a query. (Forms carry such tokens too: this one is everywhere.)
pub fn plausible(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(all(test, feature = "server"))]
mod tests {
    #[test]
    fn tokens_are_64_hex_digits_and_differ() {
        let (a, b) = (super::random_hex(), super::random_hex());
        assert_eq!(a.len(), 64);
        assert!(a
            .bytes()
            .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
        assert_ne!(a, b);
    }

    #[test]
    fn only_64_hex_digits_can_be_a_token() {
        let a = super::random_hex();
        assert!(super::plausible(&a));
        assert!(!super::plausible("abc"));
        assert!(!super::plausible(&"g".repeat(64)));
        assert!(!super::plausible(&format!("{a}0")));
    }
}
