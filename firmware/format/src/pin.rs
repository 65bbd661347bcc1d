//! The operator PIN's hash, shared by the kiosk (which checks it) and `bitig image` (which
//! writes it): BLAKE3 of `bitig-pin:`, the kiosk's salt, `:` and the PIN. The salt is random
//! per kiosk (`bitig image` writes it), so one table of the 10^6 six-digit PINs does not
//! open every kiosk; without a salt (development configs) it is BLAKE3 of `bitig-pin:` and
//! the PIN, as before.

/// The hash of `pin` under `salt` (empty: unsalted).
pub fn pin_hash(salt: &[u8], pin: &str) -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(b"bitig-pin:");
    if !salt.is_empty() {
        h.update(salt);
        h.update(b":");
    }
    h.update(pin.as_bytes());
    *h.finalize().as_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_salt_changes_the_hash() {
        assert_ne!(pin_hash(b"a1", "123456"), pin_hash(b"b2", "123456"));
        assert_ne!(pin_hash(b"a1", "123456"), pin_hash(b"a1", "123457"));
        // Unsalted is the old scheme.
        assert_eq!(
            pin_hash(b"", "1234"),
            *blake3::hash(b"bitig-pin:1234").as_bytes()
        );
    }
}
