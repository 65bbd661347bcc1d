//! `bitig watch`, the real binary on the fixtures: it builds, then on each save typesets only
//! the edition that changed, into the same bytes as `bitig build`; a source with an error
//! keeps the last good bundle and leaves the diagnostic (file:line:col) and its banner
//! beside it, both gone once the source builds again.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
use common::*;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

const PROFILE: &str = "tests/fixtures/profiles/tiny-320x240.toml";

/// Kills the watch when the test ends, passed or not.
struct Killed(std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn lines(pipe: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for l in BufReader::new(pipe).lines().map_while(Result::ok) {
            if tx.send(l).is_err() {
                return;
            }
        }
    });
    rx
}

/// The next line from `rx` with `what` in it (a minute at most: a hang fails, it is no
/// measure of speed).
fn next(rx: &Receiver<String>, what: &str) -> String {
    loop {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(l) if l.contains(what) => return l,
            Ok(_) => {}
            Err(e) => panic!("no line with {what:?}: {e}"),
        }
    }
}

#[test]
fn watch_rebuilds_what_changed_and_keeps_the_last_good_bundle_on_an_error() {
    let dir = scratch("watch");
    let src = dir.join("src");
    copy_fixture_sources(&src);
    let out = dir.join("out/w.bundle");
    let (error, banner) = (
        dir.join("out/w.bundle.error"),
        dir.join("out/w.bundle.error.png"),
    );
    let mut child = bitig_command(&[
        "watch",
        "--statements",
        src.to_str().unwrap(),
        "--profile",
        PROFILE,
        "--out",
        out.to_str().unwrap(),
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let built = lines(child.stdout.take().unwrap());
    let said = lines(child.stderr.take().unwrap());
    let _watch = Killed(child);
    let l = next(&built, "rebuilt");
    assert!(l.contains(": 2 of 2 edition(s) typeset"), "{l}");
    let first = std::fs::read(&out).unwrap();
    assert!(first == build_no_speech(&src, PROFILE, &dir.join("fresh-1.bundle")));

    // One word of the Turkish sample: that edition alone is typeset again.
    let tr = src.join("sample-tr.tr.md");
    let text_tr = std::fs::read_to_string(&tr).unwrap();
    let body = text_tr.rfind("+++").unwrap();
    let word = text_tr[body..]
        .split_whitespace()
        .find(|w| w.len() > 6 && w.chars().all(char::is_alphabetic))
        .unwrap()
        .to_string();
    let edited = text_tr.replacen(&word, &format!("{word}ler"), 1);
    std::fs::write(&tr, &edited).unwrap();
    let l = next(&built, "rebuilt");
    assert!(l.contains(": 1 of 2 edition(s) typeset"), "{l}");
    let second = std::fs::read(&out).unwrap();
    assert!(second != first, "the edit did not reach the bundle");
    assert!(second == build_no_speech(&src, PROFILE, &dir.join("fresh-2.bundle")));

    // A character no font has, on line 11 column 5 of the Kazakh sample: the bundle stays.
    let kk = src.join("sample-kk.kk.md");
    let text_kk = std::fs::read_to_string(&kk).unwrap();
    let line11 = text_kk.lines().take(10).map(|l| l.len() + 1).sum::<usize>();
    let at = line11 + text_kk[line11..].char_indices().nth(4).unwrap().0;
    std::fs::write(&kk, format!("{}漢{}", &text_kk[..at], &text_kk[at..])).unwrap();
    let l = next(&said, "keeps the last good bundle");
    assert!(l.contains("1 error(s)"), "{l}");
    assert!(
        std::fs::read(&out).unwrap() == second,
        "a bad source changed the bundle"
    );
    let diag = std::fs::read_to_string(&error).unwrap();
    assert!(
        diag.contains("error[missing-glyph]") && diag.contains("sample-kk.kk.md:11:5"),
        "{diag}"
    );
    let png = png::Decoder::new(std::io::Cursor::new(std::fs::read(&banner).unwrap()));
    let info = png.read_info().unwrap();
    assert_eq!(info.info().width, 320, "the banner is as wide as the panel");

    // Mended: the error and its banner go.
    std::fs::write(&kk, &text_kk).unwrap();
    next(&built, "rebuilt");
    assert!(
        !error.exists() && !banner.exists(),
        "the error outlived its fix"
    );
    assert!(std::fs::read(&out).unwrap() == second);
}
