//! What goes on an image, checked before anything is written: the kiosk binary's
//! architecture, the bundle (as the kiosk will read it), and the operator PIN with its salt.

use anyhow::{Context, Result};
use std::path::{Path, PathBuf};

/// What to put on the image.
#[derive(Debug)]
pub struct Payload {
    /// The kiosk binary (aarch64 or armv7, matching the image).
    pub kiosk: PathBuf,
    /// The content bundle.
    pub bundle: PathBuf,
    /// The kiosk configuration (TOML).
    pub config: String,
    /// Public keys the kiosk trusts; when given, the bundle must be signed by one of them.
    pub trusted: Vec<[u8; 32]>,
}

/// Checks the bundle file as the kiosk will: the signature (if keys are configured), then the
/// bundle itself.
pub(super) fn check_bundle(path: &Path, bytes: &[u8], trusted: &[[u8; 32]]) -> Result<()> {
    let inner = if trusted.is_empty() {
        bitig_format::signature::split(bytes).0
    } else {
        bitig_format::signature::verify(bytes, trusted).map_err(|e| {
            let code = e.code();
            anyhow::Error::new(e).context(format!(
                "{}: refused [{code}]; the kiosk would not show it",
                path.display()
            ))
        })?
    };
    bitig_format::Bundle::from_bundle_bytes(inner)
        .with_context(|| format!("{}: not a valid bundle", path.display()))?;
    Ok(())
}

/// The content an image starts with: the bundle, and its speech part if one lies beside it
/// (`X.speech` next to `X.bundle`), both checked as the kiosk will check them.
pub(super) struct Content {
    pub bundle: Vec<u8>,
    pub speech: Option<Vec<u8>>,
}

/// Reads and checks the bundle, then the speech part beside it, if any: signed by a trusted
/// key (when keys are configured), whole, and made for this bundle. A part the kiosk would
/// refuse is refused here, rather than leaving a silent kiosk.
pub(super) fn read_content(path: &Path, trusted: &[[u8; 32]]) -> Result<Content> {
    let bundle =
        std::fs::read(path).with_context(|| format!("reading the bundle {}", path.display()))?;
    check_bundle(path, &bundle, trusted)?;
    let speech_path = path.with_extension("speech");
    let speech = match std::fs::read(&speech_path) {
        Ok(bytes) => {
            check_speech(&speech_path, &bytes, &bundle, trusted)?;
            Some(bytes)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("reading {}", speech_path.display())),
    };
    Ok(Content { bundle, speech })
}

fn check_speech(path: &Path, bytes: &[u8], bundle: &[u8], trusted: &[[u8; 32]]) -> Result<()> {
    // Each refusal keeps its error in the chain: a content error, exit status 1.
    fn refused<E: std::error::Error + Send + Sync + 'static>(
        path: &Path,
        code: &str,
        e: E,
    ) -> anyhow::Error {
        anyhow::Error::new(e).context(format!(
            "{}: refused [{code}]; the kiosk would be silent (rebuild it with `bitig build`, sign it with the bundle's key, or remove it)",
            path.display()
        ))
    }
    let inner = if trusted.is_empty() {
        bitig_format::signature::split(bytes).0
    } else {
        bitig_format::signature::verify(bytes, trusted).map_err(|e| refused(path, e.code(), e))?
    };
    let speech = bitig_format::speech::Speech::from_speech_bytes(inner)
        .map_err(|e| refused(path, e.code(), e))?;
    // The bundle itself was checked by check_bundle.
    let bundle = bitig_format::signature::split(bundle).0;
    let header = bitig_format::Header::from_bundle_bytes(bundle)?;
    let b = bitig_format::Bundle::from_bundle_bytes(bundle)?;
    speech
        .check_belongs(&header.hash, &b)
        .map_err(|e| refused(path, e.code(), e))
}

/// `e_machine` of an ELF file: 0xB7 aarch64, 0x28 32-bit ARM, 0x3E x86-64.
pub fn elf_machine(bytes: &[u8]) -> Option<u16> {
    (bytes.len() > 20 && bytes[..4] == *b"\x7fELF")
        .then(|| u16::from_le_bytes([bytes[18], bytes[19]]))
}

pub(super) fn machine_name(m: u16) -> &'static str {
    match m {
        0xB7 => "aarch64",
        0x28 => "32-bit ARM",
        0x3E => "x86-64",
        _ => "another architecture",
    }
}

/// `n` random bytes from the kernel.
fn random_bytes(n: usize) -> Result<Vec<u8>> {
    use std::io::Read;
    let mut b = vec![0u8; n];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut b))
        .context("reading /dev/urandom")?;
    Ok(b)
}

/// A random salt for the PIN hash: 16 bytes, hex.
pub fn random_salt() -> Result<String> {
    Ok(bitig_format::hex::to_hex(&random_bytes(16)?))
}

/// A random 6-digit PIN, uniform over 000000..=999999, never 1234 (which is not 6 digits).
pub fn random_pin() -> Result<String> {
    loop {
        let b = random_bytes(4)?;
        let v = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        // Rejection sampling: no digit is more likely than another.
        if v < 4_294_000_000 {
            return Ok(format!("{:06}", v % 1_000_000));
        }
    }
}

/// Checks an operator PIN given with --pin: 4 to 8 digits, and not the default 1234.
pub fn check_pin(pin: &str) -> Result<String> {
    anyhow::ensure!(
        (4..=8).contains(&pin.len()) && pin.bytes().all(|b| b.is_ascii_digit()),
        "--pin {pin}: the PIN pad takes 4 to 8 digits"
    );
    anyhow::ensure!(
        pin != "1234",
        "--pin 1234 is the default PIN everyone knows (it is in the README); choose another, or leave out --pin for a random one"
    );
    Ok(pin.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn elf_machine_reads_the_header() {
        let mut h = vec![0u8; 64];
        h[..4].copy_from_slice(b"\x7fELF");
        h[18] = 0xB7;
        assert_eq!(elf_machine(&h), Some(0xB7));
        assert_eq!(elf_machine(b"#!/bin/sh\n"), None);
    }
}
