//! `bitig-codecbench FILE SECONDS`: decodes the first SECONDS of FILE (Ogg Opus from
//! `opusenc`, or Ogg Vorbis from `oggenc`) to 16-bit samples and prints how many it decoded
//! and their checksum. scripts/bench runs it under callgrind (x86_64) and qemu-aarch64 and
//! subtracts a run that decodes 0 seconds, so what is left is the decoder's work alone.

use anyhow::{bail, Context, Result};
use std::io::Cursor;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, file, seconds] = args.as_slice() else {
        bail!("usage: bitig-codecbench FILE.opus|FILE.ogg SECONDS");
    };
    let seconds: f64 = seconds.parse().context("SECONDS must be a number")?;
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {file}"))?;
    let (n, sum) = if bytes.windows(8).take(200).any(|w| w == b"OpusHead") {
        opus_decode(&bytes, seconds)?
    } else {
        vorbis_decode(&bytes, seconds)?
    };
    println!("decoded {n} samples, checksum {sum}");
    Ok(())
}

/// Opus packets from the Ogg pages, decoded by libopus at 16 kHz mono (speech needs no more).
fn opus_decode(bytes: &[u8], seconds: f64) -> Result<(u64, i64)> {
    const RATE: u32 = 16_000;
    let mut reader = ogg::PacketReader::new(Cursor::new(bytes));
    let mut dec = opus::Decoder::new(RATE, opus::Channels::Mono)?;
    let want = (seconds * f64::from(RATE)) as u64;
    let mut out = vec![0i16; 5760];
    let (mut n, mut sum, mut index) = (0u64, 0i64, 0);
    while n < want {
        let Some(p) = reader.read_packet()? else {
            break;
        };
        index += 1;
        if index <= 2 {
            continue; // OpusHead, OpusTags
        }
        let got = dec.decode(&p.data, &mut out, false)?;
        n += got as u64;
        sum += out[..got].iter().map(|&s| i64::from(s)).sum::<i64>();
    }
    Ok((n, sum))
}

/// Ogg Vorbis decoded by lewton (pure Rust).
fn vorbis_decode(bytes: &[u8], seconds: f64) -> Result<(u64, i64)> {
    let mut r = lewton::inside_ogg::OggStreamReader::new(Cursor::new(bytes))?;
    let want = (seconds * f64::from(r.ident_hdr.audio_sample_rate)) as u64;
    let (mut n, mut sum) = (0u64, 0i64);
    while n < want {
        let Some(p) = r.read_dec_packet_itl()? else {
            break;
        };
        n += p.len() as u64;
        sum += p.iter().map(|&s| i64::from(s)).sum::<i64>();
    }
    Ok((n, sum))
}
