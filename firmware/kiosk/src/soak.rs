//! Soak test: random touches (taps, swipes, long presses, a second finger, fingers leaving the
//! panel, releases without presses) and keys (presses, holds, the operator's chord, keys left
//! down, stray releases, codes no map has) into the headless kiosk, with frames rendered along
//! the way. Checks that nothing panics, that the kiosk always finds its way back to the attract
//! screen when left alone (no stuck state), and that resident memory does not grow.
//!
//! `bitig-kiosk --headless --soak N [--seed S]`; scripts/soak runs the full 1,000,000.

use crate::app::Kiosk;
use crate::nav::Screen;
use crate::platform::headless::Headless;

/// A small deterministic PRNG (xorshift64*), so a failing seed can be replayed.
#[derive(Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

#[derive(Debug, Default)]
pub struct Report {
    pub events: u64,
    pub frames: u64,
    pub idle_checks: u64,
    pub screens_seen: [u64; Screen::ALL.len()],
    /// (resident anonymous KiB, `memory` probe), read at rest (back on the attract screen after 95 s
    /// without a touch, and drawn) at each idle check after the warm-up, and at the end.
    pub samples: Vec<(u64, u64)>,
    pub virtual_ms: u64,
}

impl Report {
    /// How much a measure grew from the start of the sampled run to its end: the smallest
    /// value in the last third of the samples minus the smallest in the first third.
    ///
    /// Samples are taken at rest, where the kiosk holds the same screen and buffers each
    /// time, and a leak raises the floor. (Readings taken at any moment differ by megabytes:
    /// live heap with the screen on show, resident size with what glibc keeps or returns;
    /// such a pair, one at each end, moved by -2.6 MiB to +3.9 MiB between seeds.)
    pub fn growth(&self, pick: impl Fn(&(u64, u64)) -> u64) -> i64 {
        let n = self.samples.len();
        if n < 2 {
            return 0;
        }
        let third = (n / 3).max(1);
        let floor = |s: &[(u64, u64)]| s.iter().map(&pick).min().unwrap_or(0) as i64;
        floor(&self.samples[n - third..]) - floor(&self.samples[..third])
    }
}

/// Runs `events` random touch events. Fails on a stuck state. Memory is sampled at rest after
/// the warm-up, resident anonymous memory and `memory()` (the caller's probe, e.g. live heap bytes; 0 if
/// it has none), and judged by the caller with [`Report::growth`].
pub fn run(
    h: &mut Headless,
    kiosk: &Kiosk,
    events: u64,
    seed: u64,
    memory: &dyn Fn() -> u64,
) -> anyhow::Result<Report> {
    let (w, hh) = h.panel_size();
    let (w, hh) = (w as f32, hh as f32);
    let mut rng = Rng::new(seed);
    let mut r = Report::default();
    // Caches fill while new pages and screens are first visited; measure after that.
    let warmup = (events / 2).min(20_000);
    let point = |rng: &mut Rng| {
        // Mostly on the panel, sometimes just off its edges.
        let x = rng.below((w as u64) + 40) as f32 - 20.0;
        let y = rng.below((hh as u64) + 40) as f32 - 20.0;
        (x, y)
    };
    let mut n = 0u64;
    // Keys down now (pressed by the walk and not released yet).
    let mut held: Vec<u16> = Vec::new();
    while n < events {
        let (x, y) = point(&mut rng);
        match rng.below(100) {
            // Tap.
            0..=44 => {
                h.press(x, y);
                h.advance(rng.below(120));
                h.release(x, y);
                n += 2;
            }
            // Swipe.
            45..=69 => {
                let (x1, y1) = point(&mut rng);
                h.press(x, y);
                let steps = 1 + rng.below(8);
                for i in 1..=steps {
                    let t = i as f32 / steps as f32;
                    h.advance(rng.below(40));
                    h.move_to(x + (x1 - x) * t, y + (y1 - y) * t);
                }
                h.release(x1, y1);
                n += 2 + steps;
            }
            // Long press (sometimes long enough for the hidden corner).
            70..=74 => {
                h.press(x, y);
                h.advance(500 + rng.below(6000));
                h.release(x, y);
                n += 2;
            }
            // A second finger: press again without a release, then let go elsewhere.
            75..=84 => {
                let (x1, y1) = point(&mut rng);
                h.press(x, y);
                h.press(x1, y1);
                h.release(x1, y1);
                h.release(x, y);
                n += 4;
            }
            // A finger leaves the panel while down.
            85..=89 => {
                h.press(x, y);
                h.move_to(-5.0, y);
                h.exit();
                n += 3;
            }
            // A release with no press, a stray move.
            90..=94 => {
                h.release(x, y);
                h.move_to(x, y);
                n += 2;
            }
            // Keys: presses, holds, chords, stray releases, keys no map knows.
            95..=97 => {
                n += keys(h, kiosk, &mut rng, &mut held);
            }
            // Time passes.
            _ => {
                h.advance(rng.below(3000));
                n += 1;
            }
        }
        r.screens_seen[kiosk.screen().index()] += 1;
        if rng.below(50) == 0 {
            let _ = h.frame();
            r.frames += 1;
        }
        // Left alone, the kiosk must always return to rest (no stuck state).
        if rng.below(500) == 0 {
            release_all(h, kiosk, &mut held);
            rest(h, kiosk, n, seed)?;
            r.idle_checks += 1;
            if n >= warmup {
                r.samples
                    .push((bitig_io::proc::anon_kib().unwrap_or(0), memory()));
            }
        }
    }
    release_all(h, kiosk, &mut held);
    rest(h, kiosk, n, seed)?;
    r.idle_checks += 1;
    r.events = n;
    r.samples
        .push((bitig_io::proc::anon_kib().unwrap_or(0), memory()));
    r.virtual_ms = h.now_ms();
    Ok(r)
}

/// Key codes the walk presses: every key of the default map, digits, and codes no map has.
const SOAK_KEYS: [u16; 16] = [
    103, 108, 105, 106, 28, 1, 59, 53, 114, 115, 12, 13, 2, 11, 16, 0x2ff,
];

/// A random key event or two: a press and release, a hold (long enough to repeat, and now
/// and then Help + Back long enough for the chord), a press left down, or a stray release.
/// Returns how many events it sent.
fn keys(h: &mut Headless, kiosk: &Kiosk, rng: &mut Rng, held: &mut Vec<u16>) -> u64 {
    let code = SOAK_KEYS[rng.below(SOAK_KEYS.len() as u64) as usize];
    match rng.below(10) {
        0..=5 => {
            h.key(kiosk, code, rng.below(150));
            2
        }
        6 => {
            h.key(kiosk, code, 400 + rng.below(2_000));
            2
        }
        7 => {
            // Help and Back together, sometimes for the operator's 5 s.
            kiosk.key(59, true);
            kiosk.key(1, true);
            h.advance(rng.below(6_000));
            kiosk.key(1, false);
            kiosk.key(59, false);
            4
        }
        8 => {
            kiosk.key(code, true);
            held.push(code);
            h.advance(rng.below(100));
            1
        }
        _ => {
            kiosk.key(code, false);
            held.retain(|&c| c != code);
            1
        }
    }
}

/// Lets go of every key the walk left down.
fn release_all(h: &mut Headless, kiosk: &Kiosk, held: &mut Vec<u16>) {
    for code in held.drain(..) {
        kiosk.key(code, false);
    }
    h.advance(16);
}

/// 95 s without a touch: the kiosk must be back at rest (no stuck state), and drawn.
fn rest(h: &mut Headless, kiosk: &Kiosk, n: u64, seed: u64) -> anyhow::Result<()> {
    h.advance(95_000);
    let s = kiosk.screen();
    if !matches!(s, Screen::Attract | Screen::Maintenance) {
        anyhow::bail!(
            "stuck: after {n} events and 95 s without a touch the {} screen is still up (seed {seed})",
            crate::script::screen_name(s)
        );
    }
    let _ = h.frame();
    Ok(())
}
