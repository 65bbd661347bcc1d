//! `bitig keygen`, `bitig sign`, `bitig verify`: Ed25519 keys and signed bundles
//! (format: firmware/format/src/signature.rs, docs/bundle-format.md).
//!
//! Key files are one line of text: `bitig-secret-key-v1 <64 hex>` (mode 0600) and
//! `bitig-public-key-v1 <64 hex>`. The kiosk's `trusted_keys` takes the public hex.

use anyhow::{bail, ensure, Context, Result};
use bitig_format::hex::to_hex as hex;
use bitig_format::signature;
use std::io::Read;
use std::path::{Path, PathBuf};

pub const SECRET_TAG: &str = "bitig-secret-key-v1";
pub const PUBLIC_TAG: &str = "bitig-public-key-v1";

pub fn parse_hex32(s: &str) -> Option<[u8; 32]> {
    let s = s.trim();
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// Reads a key file with the given tag; errors name the file and line and say what to do.
pub fn read_key(path: &Path, tag: &str) -> Result<[u8; 32]> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((t, value)) = line.split_once(' ') else {
            bail!(
                "{}:{}: expected `{tag} <64 hex digits>`",
                path.display(),
                n + 1
            );
        };
        if t != tag {
            let hint = if t == SECRET_TAG || t == PUBLIC_TAG {
                " (the other kind of key file: public keys verify, secret keys sign)"
            } else {
                ""
            };
            bail!(
                "{}:{}:1: this is a `{t}` file, expected `{tag}`{hint}",
                path.display(),
                n + 1
            );
        }
        return parse_hex32(value).with_context(|| {
            format!(
                "{}:{}:{}: the key must be 64 hex digits",
                path.display(),
                n + 1,
                t.len() + 2
            )
        });
    }
    bail!(
        "{}: no key in the file (made by `bitig keygen`?)",
        path.display()
    )
}

/// Writes NAME.secret (0600) and NAME.public; refuses to overwrite an existing secret.
pub fn keygen(name: &Path) -> Result<(PathBuf, PathBuf, [u8; 32])> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let secret_path = name.with_extension("secret");
    let public_path = name.with_extension("public");
    ensure!(
        !secret_path.exists(),
        "{} already exists; refusing to overwrite a secret key (choose another name)",
        secret_path.display()
    );
    let mut seed = [0u8; 32];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut seed))
        .context("reading /dev/urandom")?;
    let public = signature::public_key(&seed);
    if let Some(d) = secret_path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(d)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&secret_path)
        .with_context(|| format!("creating {}", secret_path.display()))?;
    writeln!(
        f,
        "# Bitig bundle signing key. Keep it off the kiosks and out of version control.\n{SECRET_TAG} {}",
        hex(&seed)
    )?;
    f.sync_all()?;
    bitig_io::durable::write(
        &public_path,
        format!(
            "# Bitig public key, key id {}. Put the hex into the kiosk's trusted_keys.\n{PUBLIC_TAG} {}\n",
            hex(&signature::key_id(&public)),
            hex(&public)
        )
        .as_bytes(),
    )?;
    Ok((secret_path, public_path, public))
}

/// Signs `bundle` (replacing an older signature) and writes the signed file atomically; and
/// the speech part beside it (`X.speech`), if there is one, to `out`'s `.speech`.
pub fn sign(bundle_path: &Path, key: &Path, out: &Path) -> Result<[u8; 8]> {
    let id = sign_bundle(bundle_path, key, out)?;
    let speech = bundle_path.with_extension("speech");
    if speech.exists() {
        let secret = read_key(key, SECRET_TAG)?;
        let file =
            std::fs::read(&speech).with_context(|| format!("reading {}", speech.display()))?;
        let (part, _old) = signature::split(&file);
        bitig_format::speech::Speech::from_speech_bytes(part).with_context(|| {
            format!(
                "{}: not a valid speech part; nothing signed",
                speech.display()
            )
        })?;
        let mut signed = part.to_vec();
        signed.extend_from_slice(&signature::sign(part, &secret));
        bitig_io::durable::write(&out.with_extension("speech"), &signed)?;
    }
    Ok(id)
}

fn sign_bundle(bundle_path: &Path, key: &Path, out: &Path) -> Result<[u8; 8]> {
    let secret = read_key(key, SECRET_TAG)?;
    let file =
        std::fs::read(bundle_path).with_context(|| format!("reading {}", bundle_path.display()))?;
    let (bundle, _old) = signature::split(&file);
    bitig_format::Bundle::from_bundle_bytes(bundle).with_context(|| {
        format!(
            "{}: not a valid bundle; nothing signed",
            bundle_path.display()
        )
    })?;
    let mut signed = bundle.to_vec();
    signed.extend_from_slice(&signature::sign(bundle, &secret));
    bitig_io::durable::write(out, &signed)?;
    Ok(signature::key_id(&signature::public_key(&secret)))
}

/// Verifies a signed bundle against public key files; also checks the bundle itself.
pub fn verify(bundle_path: &Path, keys: &[PathBuf]) -> Result<[u8; 8]> {
    ensure!(!keys.is_empty(), "give at least one --key PUBLIC_KEY_FILE");
    let trusted: Vec<[u8; 32]> = keys
        .iter()
        .map(|k| read_key(k, PUBLIC_TAG))
        .collect::<Result<_>>()?;
    let file =
        std::fs::read(bundle_path).with_context(|| format!("reading {}", bundle_path.display()))?;
    let bundle = signature::verify(&file, &trusted).map_err(|e| {
        let code = e.code();
        anyhow::Error::new(e).context(format!("{}: refused [{code}]", bundle_path.display()))
    })?;
    bitig_format::Bundle::from_bundle_bytes(bundle)
        .with_context(|| format!("{}: signed, but not a valid bundle", bundle_path.display()))?;
    let (_, t) = signature::split(&file);
    let mut id = [0u8; 8];
    if let Some(t) = t {
        id.copy_from_slice(&t[12..20]);
    }
    Ok(id)
}
