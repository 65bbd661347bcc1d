//! `bitig-voicebench MODE N BUNDLE`: what the voice costs the device, for instruction counts
//! (callgrind on x86_64, qemu-aarch64 on aarch64; `tools/bench` runs it and subtracts a run
//! with N = 0, so what is left is the voice's own work).
//!
//! The voice is the kiosk's own (`audio::Voice`: libopus decoding straight to 48 kHz, the
//! volume's gain), over the speech part beside BUNDLE (`X.speech` next to `X.bundle`).
//!
//! MODE:
//! - `first`: N times, what Action on the page starts: the voice finds the track and the
//!   sentence at the top of a page (a sentence in the middle of a block: the seek decodes its
//!   pre-roll), then renders up to its first sample. Each try starts at another block of the
//!   first statement's English edition, and stops the voice after its first sample.
//! - `play`: N seconds of reading, from the top of the first statement's English edition, as
//!   the device renders it (one pump per 20 ms period).
//!
//! Prints `samples S checksum C`.

use bitig_format::speech::Said;
use bitig_format::Lang;
use bitig_kiosk::app::load_bundle;
use bitig_kiosk::audio::{Sink, Voice};
use std::cell::Cell;
use std::path::Path;
use std::process::ExitCode;
use std::rc::Rc;

const USAGE: &str = "usage: bitig-voicebench first|play N BUNDLE";

/// Counts the samples it is given and folds them into a checksum.
struct Count(Rc<Cell<(u64, u64)>>);

impl Sink for Count {
    fn play(&mut self, pcm: &[i16]) {
        let (n, sum) = self.0.get();
        let sum = pcm
            .iter()
            .fold(sum, |s, &x| s.rotate_left(3) ^ u64::from(x as u16));
        self.0.set((n + pcm.len() as u64, sum));
    }
    fn silence(&mut self, _n: usize) {}
}

fn main() -> ExitCode {
    match run() {
        Ok((samples, sum)) => {
            println!("samples {samples} checksum {sum}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bitig-voicebench: {e:#}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<(u64, u64)> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [mode, n, bundle] = args.as_slice() else {
        anyhow::bail!("expected three arguments");
    };
    let n: u64 = n
        .parse()
        .map_err(|_| anyhow::anyhow!("N must be a number, not {n:?}"))?;
    let loaded = load_bundle(Path::new(bundle))
        .map_err(|e| anyhow::anyhow!("{bundle}: {} {}", e.code, e.message))?;
    let speech = loaded.speech.ok_or_else(|| {
        anyhow::anyhow!(
            "no speech part beside {bundle} ({})",
            loaded
                .speech_error
                .map_or("build it without --no-speech".to_string(), |e| e.message)
        )
    })?;
    // The first statement's English blocks, with the sentences of each track.
    let (doc, lang) = (0u16, Lang::En);
    let starts: Vec<(u16, u32)> = speech
        .tracks
        .iter()
        .filter_map(|t| match t.said {
            Said::Block {
                doc: d,
                lang: l,
                block,
            } if d == doc && l == lang => {
                let mid = t.sentences.get(t.sentences.len() / 2)?;
                Some((block, mid.start))
            }
            _ => None,
        })
        .collect();
    anyhow::ensure!(
        !starts.is_empty(),
        "the speech part has no English track of the first statement"
    );
    let heard = Rc::new(Cell::new((0u64, 0u64)));
    let mut voice = Voice::new(Some(speech), Some(Box::new(Count(heard.clone()))));
    let volume = 7;
    let mut now = 0u64;
    voice.start_clock(now);
    match mode.as_str() {
        "first" => {
            for i in 0..n {
                let (block, offset) = starts[i as usize % starts.len()];
                let before = heard.get().0;
                voice.read_from(now, volume, doc, lang, block, offset);
                // The first millisecond after the press: 48 samples, the first the card gets.
                while heard.get().0 == before && voice.speaking() {
                    now += 1;
                    voice.pump(now, volume);
                }
                voice.stop(now, volume);
            }
        }
        "play" => {
            let (block, _) = starts[0];
            voice.read_from(now, volume, doc, lang, block, 0);
            for _ in 0..n * 50 {
                now += 20;
                voice.pump(now, volume);
            }
        }
        other => anyhow::bail!("unknown MODE {other:?}"),
    }
    Ok(heard.get())
}
