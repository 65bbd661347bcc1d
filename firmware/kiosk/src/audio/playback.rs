//! The playback thread: the voice's samples go from the UI thread into a bounded lock-free
//! ring (rtrb), and a thread of their own takes them out a 20 ms period at a time and writes
//! them to the sound card. The loop allocates nothing and takes no lock: the ring and a few
//! atomics are all it shares. A cut (a key, a pause) empties the ring and drops what the card
//! holds within one period. An underrun is counted and logged; a card that goes away stops the
//! voice (the UI thread sees [`Playback::gone`]) and is opened again at the next speech, so a
//! card plugged in later is found when it is needed, with no polling. While nothing plays the
//! thread sleeps until woken: it adds no wake-ups to the resting kiosk.

use super::{Sink, OUT_RATE};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Samples in one period: 20 ms.
pub const PERIOD: usize = (OUT_RATE / 50) as usize;
/// How far ahead of the clock the UI thread fills the ring, so a late UI tick (the frame
/// timer runs every 32 ms while the voice speaks) never starves the card.
pub const LEAD_MS: u64 = 100;
/// The ring holds half a second.
const RING: usize = OUT_RATE as usize / 2;
/// How long the thread waits on an empty ring before it lets the card play out.
const EMPTY_WAIT_MS: u64 = 60;

/// What went wrong writing to a card.
#[derive(Debug)]
pub enum CardError {
    /// The card ran dry before the write (it was recovered).
    Underrun,
    /// The card is gone (unplugged) or broken.
    Gone(String),
}

/// A sound card, mono 16-bit at [`OUT_RATE`].
pub trait Card: Send {
    /// Writes one period (or less), blocking until the card took it.
    fn write(&mut self, pcm: &[i16]) -> Result<(), CardError>;
    /// Drops what the card holds, at once.
    fn drop_queued(&mut self);
    /// Lets the card play what it holds, then idles.
    fn drain(&mut self);
}

/// Opens the card when speech starts.
pub type Opener = Box<dyn FnMut() -> Result<Box<dyn Card>, String> + Send>;

#[derive(Default)]
struct Shared {
    cut: AtomicBool,
    stop: AtomicBool,
    gone: AtomicBool,
    underruns: AtomicU64,
    written: AtomicU64,
}

/// The UI thread's end: a [`Sink`].
pub struct Playback {
    ring: rtrb::Producer<i16>,
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Playback {
    /// Starts the thread; `open` opens the card at the first speech.
    pub fn start(open: Opener) -> std::io::Result<Playback> {
        let (ring, out) = rtrb::RingBuffer::new(RING);
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        let thread = std::thread::Builder::new()
            .name("bitig-voice".into())
            .spawn(move || run(out, s, open))?;
        Ok(Playback {
            ring,
            shared,
            thread: Some(thread),
        })
    }

    /// Underruns since start.
    pub fn underruns(&self) -> u64 {
        self.shared.underruns.load(Ordering::Relaxed)
    }

    /// Samples the card took since start.
    pub fn written(&self) -> u64 {
        self.shared.written.load(Ordering::Relaxed)
    }

    fn wake(&self) {
        if let Some(t) = &self.thread {
            t.thread().unpark();
        }
    }
}

impl Drop for Playback {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.wake();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Sink for Playback {
    fn play(&mut self, pcm: &[i16]) {
        for &s in pcm {
            if self.ring.push(s).is_err() {
                break; // full: the UI thread ran far ahead; the rest would come too late
            }
        }
        self.wake();
    }
    fn silence(&mut self, _n: usize) {
        // A card is silent by itself.
    }
    fn cut(&mut self) {
        self.shared.cut.store(true, Ordering::Release);
        self.wake();
    }
    fn lead_ms(&self) -> u64 {
        LEAD_MS
    }
    fn gone(&mut self) -> bool {
        self.shared.gone.swap(false, Ordering::Acquire)
    }
    fn underruns(&self) -> u64 {
        Playback::underruns(self)
    }
}

/// Takes up to one period out of the ring.
fn take(ring: &mut rtrb::Consumer<i16>, buf: &mut [i16; PERIOD]) -> usize {
    let n = ring.slots().min(PERIOD);
    match ring.read_chunk(n) {
        Ok(chunk) => {
            let (a, b) = chunk.as_slices();
            buf[..a.len()].copy_from_slice(a);
            buf[a.len()..a.len() + b.len()].copy_from_slice(b);
            chunk.commit_all();
            n
        }
        Err(_) => 0,
    }
}

fn discard(ring: &mut rtrb::Consumer<i16>) {
    if let Ok(chunk) = ring.read_chunk(ring.slots()) {
        chunk.commit_all();
    }
}

/// The playback loop.
fn run(mut ring: rtrb::Consumer<i16>, s: Arc<Shared>, mut open: Opener) {
    let mut card: Option<Box<dyn Card>> = None;
    let mut buf = [0i16; PERIOD];
    let mut playing = false;
    let mut empty_ms = 0;
    while !s.stop.load(Ordering::Relaxed) {
        if s.cut.swap(false, Ordering::Acquire) {
            discard(&mut ring);
            if let Some(c) = &mut card {
                c.drop_queued();
            }
            playing = false;
        }
        let n = take(&mut ring, &mut buf);
        if n == 0 {
            if playing && empty_ms >= EMPTY_WAIT_MS {
                if let Some(c) = &mut card {
                    c.drain();
                }
                playing = false;
            }
            if playing {
                empty_ms += 5;
                std::thread::park_timeout(Duration::from_millis(5));
            } else {
                // Idle: asleep until the UI thread hands it samples (no wake-ups while the
                // kiosk rests).
                std::thread::park();
            }
            continue;
        }
        empty_ms = 0;
        if card.is_none() {
            match open() {
                Ok(c) => card = Some(c),
                Err(e) => {
                    eprintln!("bitig-kiosk: no sound card for the voice: {e}");
                    discard(&mut ring);
                    s.gone.store(true, Ordering::Release);
                    continue;
                }
            }
        }
        let Some(c) = &mut card else {
            continue;
        };
        playing = true;
        match c.write(&buf[..n]) {
            Ok(()) => {
                s.written.fetch_add(n as u64, Ordering::Relaxed);
            }
            Err(CardError::Underrun) => {
                let u = s.underruns.fetch_add(1, Ordering::Relaxed) + 1;
                eprintln!("bitig-kiosk: the voice's sound card ran dry (underrun {u})");
            }
            Err(CardError::Gone(e)) => {
                eprintln!("bitig-kiosk: the voice's sound card went away: {e}; the voice stops");
                card = None;
                playing = false;
                discard(&mut ring);
                s.gone.store(true, Ordering::Release);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A card that takes a period every `period_ms` of real time and records what it got.
    struct Fake {
        got: Arc<Mutex<Vec<i16>>>,
        dropped: Arc<AtomicU64>,
        fail_after: Option<usize>,
    }

    impl Card for Fake {
        fn write(&mut self, pcm: &[i16]) -> Result<(), CardError> {
            let mut g = self.got.lock().unwrap();
            if self.fail_after.is_some_and(|n| g.len() >= n) {
                return Err(CardError::Gone("unplugged".into()));
            }
            g.extend_from_slice(pcm);
            Ok(())
        }
        fn drop_queued(&mut self) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        fn drain(&mut self) {}
    }

    fn until(f: impl Fn() -> bool) -> bool {
        for _ in 0..2500 {
            if f() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        false
    }

    #[test]
    fn samples_reach_the_card_in_order_and_a_cut_empties_the_ring() {
        let got = Arc::new(Mutex::new(Vec::new()));
        let dropped = Arc::new(AtomicU64::new(0));
        let (g, d) = (got.clone(), dropped.clone());
        let mut p = Playback::start(Box::new(move || {
            Ok(Box::new(Fake {
                got: g.clone(),
                dropped: d.clone(),
                fail_after: None,
            }) as Box<dyn Card>)
        }))
        .unwrap();
        let pcm: Vec<i16> = (0..3000).map(|i| i as i16).collect();
        p.play(&pcm);
        assert!(until(|| got.lock().unwrap().len() == 3000));
        assert_eq!(*got.lock().unwrap(), pcm);
        p.cut();
        assert!(until(|| dropped.load(Ordering::Relaxed) == 1));
        assert!(!p.gone());
    }

    #[test]
    fn a_card_that_goes_away_stops_the_voice_and_is_opened_again_next_time() {
        let got = Arc::new(Mutex::new(Vec::new()));
        let opened = Arc::new(AtomicU64::new(0));
        let (g, o) = (got.clone(), opened.clone());
        let mut p = Playback::start(Box::new(move || {
            o.fetch_add(1, Ordering::Relaxed);
            Ok(Box::new(Fake {
                got: g.clone(),
                dropped: Arc::new(AtomicU64::new(0)),
                fail_after: Some(PERIOD),
            }) as Box<dyn Card>)
        }))
        .unwrap();
        p.play(&[1; 3 * PERIOD]);
        assert!(until(|| p.shared.gone.load(Ordering::Acquire)));
        assert!(p.gone(), "the UI thread hears the card went");
        assert!(!p.gone(), "once");
        got.lock().unwrap().clear();
        p.play(&[2; PERIOD]);
        assert!(
            until(|| opened.load(Ordering::Relaxed) == 2),
            "opened again"
        );
    }
}
