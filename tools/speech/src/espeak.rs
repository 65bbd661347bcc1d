//! espeak-ng through its command line, one process per sentence.
//!
//! Its library (`libespeak-ng`) was tried first: it gives word and sentence events, but the
//! same sentence synthesized twice in one process comes out with different samples and
//! lengths (39,644, then 39,599, then 39,656 samples for "It enters into force at once.";
//! its state carries over from one call to the next, `srand` before each call does not reset
//! it), so the bundle would depend on the order of synthesis. A fresh process gives the same
//! bytes every time, and the timing index needs no events: each sentence is synthesized on its
//! own, so its sample range is known by construction.

use std::io::Write;
use std::process::{Command, Stdio};

/// espeak-ng's sample rate (its voices are all 22,050 Hz).
pub const RATE: u32 = 22_050;

/// What went wrong in espeak-ng.
#[derive(Debug, thiserror::Error)]
pub enum EspeakError {
    #[error("cannot run espeak-ng ({0}); scripts/setup-debian.sh installs it")]
    Missing(String),
    #[error("espeak-ng failed on {text:?} in voice {voice}: {stderr}")]
    Failed {
        text: String,
        voice: String,
        stderr: String,
    },
    #[error("espeak-ng's output is not the WAV it should be ({0})")]
    Wav(String),
}

fn run(args: &[&str], text: &str) -> Result<Vec<u8>, EspeakError> {
    let mut child = Command::new("espeak-ng")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| EspeakError::Missing(e.to_string()))?;
    if let Some(mut stdin) = child.stdin.take() {
        // One line: espeak-ng reads its input line by line.
        let line = text.replace(['\n', '\r'], " ");
        let _ = stdin.write_all(line.as_bytes());
    }
    let out = child
        .wait_with_output()
        .map_err(|e| EspeakError::Missing(e.to_string()))?;
    if !out.status.success() {
        return Err(EspeakError::Failed {
            text: text.into(),
            voice: args.get(1).copied().unwrap_or("").into(),
            stderr: String::from_utf8_lossy(&out.stderr).trim().into(),
        });
    }
    Ok(out.stdout)
}

/// espeak-ng's version line (part of the cache key: another version speaks differently).
pub fn version() -> Result<String, EspeakError> {
    let out = Command::new("espeak-ng")
        .arg("--version")
        .output()
        .map_err(|e| EspeakError::Missing(e.to_string()))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Speaks `text` in `voice` (`kk`, `tr`, `en`) at `wpm` words a minute: mono 16-bit samples
/// at [`RATE`].
pub fn synth(voice: &str, wpm: u32, text: &str) -> Result<Vec<i16>, EspeakError> {
    let wpm = wpm.to_string();
    let wav = run(
        &["-v", voice, "-s", &wpm, "-b", "1", "--stdout", "--stdin"],
        text,
    )?;
    pcm_of_wav(&wav)
}

/// espeak-ng's phonemes for `text` in `voice` (its own mnemonics).
pub fn phonemes(voice: &str, text: &str) -> Result<String, EspeakError> {
    let out = run(&["-v", voice, "-b", "1", "-q", "-x", "--stdin"], text)?;
    Ok(String::from_utf8_lossy(&out)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" "))
}

/// The samples of a mono 16-bit WAV at [`RATE`], read by its chunks.
pub fn pcm_of_wav(b: &[u8]) -> Result<Vec<i16>, EspeakError> {
    let bad = |what: &str| EspeakError::Wav(what.into());
    if b.len() < 12 || &b[..4] != b"RIFF" || &b[8..12] != b"WAVE" {
        return Err(bad("no RIFF/WAVE header"));
    }
    let mut at = 12;
    let mut format_ok = false;
    while at + 8 <= b.len() {
        let id = &b[at..at + 4];
        let len = u32::from_le_bytes([b[at + 4], b[at + 5], b[at + 6], b[at + 7]]) as usize;
        let body = &b[at + 8..];
        if id == b"fmt " {
            if body.len() < 16 {
                return Err(bad("short fmt chunk"));
            }
            let channels = u16::from_le_bytes([body[2], body[3]]);
            let rate = u32::from_le_bytes([body[4], body[5], body[6], body[7]]);
            let bits = u16::from_le_bytes([body[14], body[15]]);
            if (channels, rate, bits) != (1, RATE, 16) {
                return Err(bad(&format!("{channels} channels, {rate} Hz, {bits} bits")));
            }
            format_ok = true;
        } else if id == b"data" {
            if !format_ok {
                return Err(bad("data before fmt"));
            }
            // espeak-ng writing to a pipe cannot seek back to fill in the length.
            let n = if len == 0 || len > body.len() {
                body.len()
            } else {
                len
            };
            return Ok(body[..n - n % 2]
                .chunks_exact(2)
                .map(|s| i16::from_le_bytes([s[0], s[1]]))
                .collect());
        }
        at += 8 + len + len % 2;
    }
    Err(bad("no data chunk"))
}
