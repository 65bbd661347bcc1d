//! Signed bundles: a bundle followed by an 84-byte Ed25519 signature trailer.
//!
//! ```text
//! offset  size  field
//! 0       n     the bundle, unchanged (header + body)
//! n       8     "BITIGSIG"
//! n+8     1     trailer version, 1
//! n+9     3     reserved, 0
//! n+12    8     key id: the first 8 bytes of BLAKE3("bitig-key-id" || public key)
//! n+20    64    Ed25519 signature of "bitig-bundle-signature-v1\0" || BLAKE3(bundle)
//! ```
//!
//! Verification needs no clock (kiosks have no RTC): a signature is valid or not, forever.
//! Keys are revoked by removing them from the kiosk's configuration.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

pub const SIG_MAGIC: [u8; 8] = *b"BITIGSIG";
pub const SIG_VERSION: u8 = 1;
pub const TRAILER_LEN: usize = 84;
const CONTEXT: &[u8] = b"bitig-bundle-signature-v1\0";

/// Why a signed bundle is refused. Each has a stable code for screens and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigError {
    /// No trailer: the bundle was never signed.
    Unsigned,
    /// A trailer of an unknown version or with reserved bits set.
    Malformed,
    /// Signed, but by a key this kiosk does not trust.
    UntrustedKey { key_id: [u8; 8] },
    /// The signature does not match the bytes: tampered or damaged.
    BadSignature,
}

impl SigError {
    pub fn code(&self) -> &'static str {
        match self {
            SigError::Unsigned => "E-UNSIGNED",
            SigError::Malformed => "E-SIGFORMAT",
            SigError::UntrustedKey { .. } => "E-UNTRUSTED",
            SigError::BadSignature => "E-SIGNATURE",
        }
    }
}

impl core::fmt::Display for SigError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SigError::Unsigned => write!(
                f,
                "the bundle is not signed; sign it with `bitig sign BUNDLE --key KEY`"
            ),
            SigError::Malformed => write!(
                f,
                "the signature trailer is of an unknown version; sign it again with this bitig"
            ),
            SigError::UntrustedKey { key_id } => {
                write!(f, "signed by key ")?;
                crate::hex::write_hex(f, key_id)?;
                write!(
                    f,
                    ", which this kiosk does not trust; add its public key to trusted_keys or sign with a trusted key"
                )
            }
            SigError::BadSignature => write!(
                f,
                "the signature does not match the bundle: it was changed or damaged after signing"
            ),
        }
    }
}

#[cfg(feature = "std")]
impl std::error::Error for SigError {}

/// Key id of a public key.
pub fn key_id(public: &[u8; 32]) -> [u8; 8] {
    let mut h = blake3::Hasher::new();
    h.update(b"bitig-key-id");
    h.update(public);
    let mut id = [0u8; 8];
    id.copy_from_slice(&h.finalize().as_bytes()[..8]);
    id
}

fn message(bundle: &[u8]) -> [u8; CONTEXT.len() + 32] {
    let mut m = [0u8; CONTEXT.len() + 32];
    m[..CONTEXT.len()].copy_from_slice(CONTEXT);
    m[CONTEXT.len()..].copy_from_slice(blake3::hash(bundle).as_bytes());
    m
}

/// The public key of a 32-byte secret seed.
pub fn public_key(secret: &[u8; 32]) -> [u8; 32] {
    SigningKey::from_bytes(secret).verifying_key().to_bytes()
}

/// The trailer that signs `bundle` with `secret` (append it to the bundle).
pub fn sign(bundle: &[u8], secret: &[u8; 32]) -> [u8; TRAILER_LEN] {
    let key = SigningKey::from_bytes(secret);
    let sig = key.sign(&message(bundle));
    let mut t = [0u8; TRAILER_LEN];
    t[0..8].copy_from_slice(&SIG_MAGIC);
    t[8] = SIG_VERSION;
    t[12..20].copy_from_slice(&key_id(&key.verifying_key().to_bytes()));
    t[20..84].copy_from_slice(&sig.to_bytes());
    t
}

/// Splits a file into bundle and trailer, if it has one.
pub fn split(file: &[u8]) -> (&[u8], Option<&[u8]>) {
    if file.len() >= TRAILER_LEN && file[file.len() - TRAILER_LEN..][..8] == SIG_MAGIC {
        let (b, t) = file.split_at(file.len() - TRAILER_LEN);
        (b, Some(t))
    } else {
        (file, None)
    }
}

/// Checks the trailer of `file` against the trusted public keys; returns the bundle bytes.
pub fn verify<'a>(file: &'a [u8], trusted: &[[u8; 32]]) -> Result<&'a [u8], SigError> {
    let (bundle, Some(t)) = split(file) else {
        return Err(SigError::Unsigned);
    };
    if t[8] != SIG_VERSION || t[9..12] != [0, 0, 0] {
        return Err(SigError::Malformed);
    }
    let mut id = [0u8; 8];
    id.copy_from_slice(&t[12..20]);
    let key = trusted
        .iter()
        .find(|k| key_id(k) == id)
        .ok_or(SigError::UntrustedKey { key_id: id })?;
    let vk = VerifyingKey::from_bytes(key).map_err(|_| SigError::UntrustedKey { key_id: id })?;
    let mut sig = [0u8; 64];
    sig.copy_from_slice(&t[20..84]);
    vk.verify_strict(&message(bundle), &Signature::from_bytes(&sig))
        .map_err(|_| SigError::BadSignature)?;
    Ok(bundle)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const SECRET: [u8; 32] = [7; 32];
    const OTHER: [u8; 32] = [9; 32];

    fn signed(bundle: &[u8], secret: &[u8; 32]) -> alloc::vec::Vec<u8> {
        let mut v = bundle.to_vec();
        v.extend_from_slice(&sign(bundle, secret));
        v
    }

    #[test]
    fn accepts_a_trusted_signature() {
        let f = signed(b"BITIGBND some bundle", &SECRET);
        assert_eq!(
            verify(&f, &[public_key(&OTHER), public_key(&SECRET)]),
            Ok(&b"BITIGBND some bundle"[..])
        );
    }

    #[test]
    fn refuses_unsigned_wrong_key_tampered_and_malformed() {
        let bundle = b"BITIGBND some bundle";
        assert_eq!(
            verify(bundle, &[public_key(&SECRET)]),
            Err(SigError::Unsigned)
        );
        let f = signed(bundle, &OTHER);
        assert!(matches!(
            verify(&f, &[public_key(&SECRET)]),
            Err(SigError::UntrustedKey { .. })
        ));
        // Every single-bit flip of the bundle part or the signature is refused.
        let f = signed(bundle, &SECRET);
        for i in 0..f.len() {
            for bit in 0..8 {
                let mut g = f.clone();
                g[i] ^= 1 << bit;
                let r = verify(&g, &[public_key(&SECRET)]);
                assert!(r.is_err(), "flip of byte {i} bit {bit} accepted");
            }
        }
        let mut g = f.clone();
        let n = g.len();
        g[n - TRAILER_LEN + 8] = 2;
        assert_eq!(verify(&g, &[public_key(&SECRET)]), Err(SigError::Malformed));
        assert_eq!(SigError::BadSignature.code(), "E-SIGNATURE");
    }

    #[test]
    fn pinned_trailer_layout() {
        let t = sign(b"x", &SECRET);
        assert_eq!(&t[..12], b"BITIGSIG\x01\0\0\0");
        assert_eq!(t[12..20], key_id(&public_key(&SECRET)));
        // Ed25519 is deterministic: the same bytes and key give the same signature.
        assert_eq!(sign(b"x", &SECRET), t);
    }
}
