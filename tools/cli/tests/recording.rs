//! A narrator's recording in place of the voice: `bitig build` with `X.tr.wav` and
//! `X.tr.vtt` beside the Turkish fixture speaks that edition with the recording. Each block's
//! normal-speed track is its cut of the recording, each sentence at its cue; its slow and
//! fast tracks are that cut stretched (pitch kept) by 160/130 and 160/200, every cue with
//! it; the other edition is still synthesized at three speeds. A cue whose text is not its sentence's stops the build with the VTT file's line,
//! exit status 1, and nothing written.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use bitig_format::speech::{Said, Speech, NORMAL_SPEED};
use bitig_format::{Bundle, Lang};
use common::*;
use std::path::Path;

const PROFILE: &str = "tests/fixtures/profiles/tiny-320x240.toml";
/// The recording's rate: a narrator's 44.1 kHz, resampled by the build.
const REC_RATE: u32 = 44_100;

fn build(statements: &Path, out: &Path, speech: bool) -> std::process::Output {
    let mut args = vec![
        "build",
        "--statements",
        statements.to_str().unwrap(),
        "--profile",
        PROFILE,
        "--out",
        out.to_str().unwrap(),
    ];
    if !speech {
        args.push("--no-speech");
    }
    bitig(&args)
}

/// Writes a "recording" of `texts` (one tone burst per sentence, half a second of silence
/// between) and its cue file; returns each cue's (start, end) in ms.
fn record(dir: &Path, texts: &[String]) -> Vec<(u64, u64)> {
    let rate = REC_RATE as usize;
    let mut pcm = vec![0i16; rate / 2];
    let mut vtt = String::from("WEBVTT\n");
    let mut cues = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        let start = pcm.len();
        let len = rate / 2 + rate * (i % 3) / 4;
        pcm.extend((0..len).map(|k| if k % 40 < 20 { 6000 } else { -6000 }));
        let ms = |n: usize| (n * 1000 / rate) as u64;
        let (a, b) = (ms(start), ms(pcm.len()));
        let clock = |m: u64| format!("{:02}:{:02}.{:03}", m / 60_000, m / 1000 % 60, m % 1000);
        vtt.push_str(&format!(
            "\n{}\n{} --> {}\n{t}\n",
            i + 1,
            clock(a),
            clock(b)
        ));
        cues.push((a, b));
        pcm.extend(std::iter::repeat_n(0, rate / 2));
    }
    std::fs::write(
        dir.join("sample-tr.tr.wav"),
        bitig_io::wav::wav_bytes(&pcm, REC_RATE),
    )
    .unwrap();
    std::fs::write(dir.join("sample-tr.tr.vtt"), vtt).unwrap();
    cues
}

#[test]
fn a_recording_speaks_its_edition_and_a_wrong_cue_is_refused_at_its_line() {
    let dir = scratch("recording");
    let src = dir.join("src");
    copy_fixture_sources(&src);
    // The sentences as the reader shows them: the bundle's blocks, title and byline first.
    let plain = dir.join("plain.bundle");
    let o = build(&src, &plain, false);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let bytes = std::fs::read(&plain).unwrap();
    let b = Bundle::from_bundle_bytes(&bytes).unwrap();
    let (doc, d) = b
        .documents
        .iter()
        .enumerate()
        .find(|(_, d)| d.edition(Lang::Tr).is_some())
        .unwrap();
    let ed = d.edition(Lang::Tr).unwrap();
    let blocks: Vec<Vec<String>> = ed
        .blocks
        .iter()
        .map(|bl| {
            bitig_speech::sentences(bl.text)
                .into_iter()
                .map(|r| bl.text[r].to_string())
                .collect()
        })
        .collect();
    let all: Vec<String> = blocks.iter().flatten().cloned().collect();
    assert!(all.len() >= 8, "{} sentences", all.len());
    let cues = record(&src, &all);

    let out = dir.join("rec.bundle");
    let o = build(&src, &out, true);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("fixture-tr [tr]: read by"),
        "{}",
        text(&o.stderr)
    );
    let part = std::fs::read(out.with_extension("speech")).unwrap();
    let speech = Speech::from_speech_bytes(&part).unwrap();
    let ms = |s: u32| u64::from(s) * 1000 / u64::from(speech.rate);
    let mut n = 0;
    for (bi, sentences) in blocks.iter().enumerate() {
        let said = Said::Block {
            doc: doc as u16,
            lang: Lang::Tr,
            block: bi as u16,
        };
        let tracks: Vec<_> = speech.tracks.iter().filter(|t| t.said == said).collect();
        let mut speeds: Vec<u8> = tracks.iter().map(|t| t.speed).collect();
        speeds.sort();
        assert_eq!(
            speeds,
            [0, 1, 2],
            "block {bi}: a recorded track at each speed"
        );
        let t = speech.track_at(&said, NORMAL_SPEED).unwrap();
        assert_eq!(t.sentences.len(), sentences.len(), "block {bi}");
        // The slow and fast tracks: the cut stretched, its pause after it kept, and every
        // sentence where the stretch puts it (within a millisecond).
        let pause = t.samples - t.sentences.last().unwrap().to;
        for (speed, wpm) in [(0u8, 130u32), (2, 200)] {
            let factor = 160.0 / f64::from(wpm);
            let s = speech.track_at(&said, speed).unwrap();
            assert_eq!(s.speed, speed, "block {bi}");
            let scaled = |n: u32| (f64::from(n) * factor).round() as u32;
            assert!(
                s.samples.abs_diff(scaled(t.samples - pause) + pause) <= 1,
                "block {bi} speed {speed}: {} samples, not {}",
                s.samples,
                scaled(t.samples - pause) + pause
            );
            assert_eq!(s.sentences.len(), t.sentences.len());
            for (a, b) in s.sentences.iter().zip(&t.sentences) {
                assert_eq!((a.start, a.end), (b.start, b.end));
                assert!(
                    a.from.abs_diff(scaled(b.from)) <= 16 && a.to.abs_diff(scaled(b.to)) <= 16,
                    "block {bi} speed {speed}: sentence {}..{}, not {}..{}",
                    a.from,
                    a.to,
                    scaled(b.from),
                    scaled(b.to)
                );
            }
        }
        let block_start = cues[n].0;
        for s in &t.sentences {
            let (a, e) = cues[n];
            // Each sentence where its cue is, within a sample's rounding.
            assert!(
                ms(s.from).abs_diff(a - block_start) <= 1
                    && ms(s.to).abs_diff(e - block_start) <= 1,
                "block {bi} sentence {n}: {}..{} ms, its cue {}..{} ms",
                ms(s.from),
                ms(s.to),
                a - block_start,
                e - block_start
            );
            n += 1;
        }
    }
    assert_eq!(n, cues.len());
    // The Kazakh edition has no recording: synthesized, at three speeds.
    let kk = speech
        .tracks
        .iter()
        .filter(|t| matches!(t.said, Said::Block { lang: Lang::Kk, .. }))
        .count();
    assert_eq!(kk % 3, 0);
    assert!(kk > 0);

    // A cue that says something else: refused at its line, nothing written.
    let vtt = std::fs::read_to_string(src.join("sample-tr.tr.vtt")).unwrap();
    let wrong = all[5].clone();
    let line = vtt.lines().position(|l| l == wrong).unwrap() + 1;
    std::fs::write(
        src.join("sample-tr.tr.vtt"),
        vtt.replacen(&wrong, "Bu cümle kayıtta yok.", 1),
    )
    .unwrap();
    let out2 = dir.join("refused.bundle");
    let o = build(&src, &out2, true);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    let want = format!(
        "sample-tr.tr.vtt:{}: cue 6 reads \"Bu cümle kayıtta yok.\"",
        line - 1
    );
    assert!(err.contains(&want), "no `{want}` in:\n{err}");
    assert!(!out2.exists(), "a bundle was written");
    assert!(!out2.with_extension("speech").exists());
}

/// `bitig cues` drafts the cue file from the recording: a "narrator" (the voice at the slow
/// speed, its pauses between sentences stretched 250 to 900 ms at random, low noise under
/// everything) reads the Turkish fixture. Each drafted cue starts and ends within 150 ms of
/// where its sentence really does, `bitig build` takes the draft, and a second draft over it
/// is refused without --force.
#[test]
fn a_cue_draft_finds_each_sentence_in_a_narrators_recording() {
    let dir = scratch("cue-draft");
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap();
    let source = src.join("sample-tr.tr.md");
    std::fs::copy(repo().join("tests/fixtures/sample-tr.tr.md"), &source).unwrap();
    let assets = repo().join("assets");
    let mut inputs = bitig_typeset::Inputs::new(&assets);
    inputs.statements = vec![source.clone()];
    let sources = bitig_typeset::load_sources(&inputs).unwrap();
    let speaker = bitig_speech::Speaker::new(&assets.join("speech"), None).unwrap();
    let rate = bitig_speech::espeak::RATE;
    let ms = |n: usize| (n as u64 * 1000) / u64::from(rate);
    let mut seed = 7u32;
    let mut rand = move || {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        seed >> 16
    };
    let mut pcm: Vec<i16> = Vec::new();
    let quiet = |pcm: &mut Vec<i16>, n: usize, rand: &mut dyn FnMut() -> u32| {
        pcm.extend((0..n).map(|_| (rand() % 81) as i16 - 40));
    };
    quiet(&mut pcm, rate as usize * 3 / 4, &mut rand);
    let mut truth = Vec::new();
    let st = &sources.statements[0];
    let ui = sources.ui.iter().find(|u| u.lang == Lang::Tr).unwrap();
    for (_, b) in bitig_typeset::build::edition_blocks(st, ui) {
        let s = speaker
            .speak(&b, Lang::Tr, bitig_speech::WPM[0], 0)
            .unwrap();
        for sent in &s.sentences {
            let start = pcm.len();
            let r = sent.samples.start as usize..sent.samples.end as usize;
            pcm.extend(
                s.pcm[r]
                    .iter()
                    .map(|&x| x.saturating_add((rand() % 81) as i16 - 40)),
            );
            truth.push((ms(start), ms(pcm.len())));
            let pause = 250 + rand() as usize % 650;
            quiet(&mut pcm, pause * rate as usize / 1000, &mut rand);
        }
    }
    std::fs::write(
        src.join("sample-tr.tr.wav"),
        bitig_io::wav::wav_bytes(&pcm, rate),
    )
    .unwrap();

    let cues_cmd = |force: bool| {
        let mut args = vec![
            "cues",
            source.to_str().unwrap(),
            "--assets",
            assets.to_str().unwrap(),
        ];
        if force {
            args.push("--force");
        }
        bitig(&args)
    };
    let o = cues_cmd(false);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let vtt_path = src.join("sample-tr.tr.vtt");
    let vtt = std::fs::read_to_string(&vtt_path).unwrap();
    let cues = bitig_speech::recording::parse_vtt(&vtt_path, &vtt).unwrap();
    assert_eq!(cues.len(), truth.len(), "{}", text(&o.stdout));
    for (i, (c, t)) in cues.iter().zip(&truth).enumerate() {
        assert!(
            c.start_ms.abs_diff(t.0) <= 150 && c.end_ms.abs_diff(t.1) <= 150,
            "cue {}: {}..{} ms, its sentence {}..{} ms (\"{}\")",
            i + 1,
            c.start_ms,
            c.end_ms,
            t.0,
            t.1,
            c.text
        );
    }
    // The build takes the draft: its cues are the reader's sentences.
    let o = build(&src, &dir.join("drafted.bundle"), true);
    assert!(o.status.success(), "{}", text(&o.stderr));
    // A draft never overwrites an editor's cues unasked.
    std::fs::write(&vtt_path, "WEBVTT\n").unwrap();
    let o = cues_cmd(false);
    assert_eq!(o.status.code(), Some(2), "a usage error");
    assert!(text(&o.stderr).contains("--force"), "{}", text(&o.stderr));
    assert_eq!(std::fs::read_to_string(&vtt_path).unwrap(), "WEBVTT\n");
    assert!(cues_cmd(true).status.success());
}
