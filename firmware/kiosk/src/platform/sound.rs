//! The voice's sound card through ALSA (device and simulator). Which card: the config's
//! `audio_device`, or with `auto` the first USB sound card (a keypad's or a headset's socket),
//! then the board's headphone jack, then, only if the config allows a loudspeaker
//! (`loudspeaker = true`) or in the desktop simulator, the system's default output.
//! The card is opened when speech starts (`audio::playback`), so one plugged in while the
//! kiosk runs is found when it is needed.

use crate::audio::playback::{Card, CardError, Opener, Playback, PERIOD};
use crate::audio::OUT_RATE;
use crate::config::Config;
use alsa::pcm::{Access, Format, HwParams, PCM};
use alsa::{Direction, ValueOr};

/// A card opened for mono 16-bit little-endian at [`OUT_RATE`], 20 ms periods.
pub struct AlsaCard {
    pcm: PCM,
    name: String,
    bytes: Box<[u8; PERIOD * 2]>,
}

impl AlsaCard {
    pub fn open(name: &str) -> Result<AlsaCard, String> {
        let err = |what: &str, e: alsa::Error| format!("{name}: {what}: {e}");
        let pcm = PCM::new(name, Direction::Playback, false).map_err(|e| err("open", e))?;
        {
            let hw = HwParams::any(&pcm).map_err(|e| err("parameters", e))?;
            hw.set_channels(1).map_err(|e| err("mono", e))?;
            hw.set_rate(OUT_RATE, ValueOr::Nearest)
                .map_err(|e| err("48 kHz", e))?;
            hw.set_format(Format::S16LE).map_err(|e| err("16-bit", e))?;
            hw.set_access(Access::RWInterleaved)
                .map_err(|e| err("interleaved access", e))?;
            hw.set_period_size_near(PERIOD as alsa::pcm::Frames, ValueOr::Nearest)
                .map_err(|e| err("20 ms periods", e))?;
            hw.set_buffer_size_near(4 * PERIOD as alsa::pcm::Frames)
                .map_err(|e| err("buffer", e))?;
            pcm.hw_params(&hw).map_err(|e| err("set parameters", e))?;
        }
        Ok(AlsaCard {
            pcm,
            name: name.to_string(),
            bytes: Box::new([0; PERIOD * 2]),
        })
    }
}

impl Card for AlsaCard {
    fn write(&mut self, pcm: &[i16]) -> Result<(), CardError> {
        let n = pcm.len().min(PERIOD);
        for (b, s) in self.bytes.chunks_exact_mut(2).zip(&pcm[..n]) {
            b.copy_from_slice(&s.to_le_bytes());
        }
        let io = self.pcm.io_bytes();
        match io.writei(&self.bytes[..n * 2]) {
            Ok(_) => Ok(()),
            Err(e) if e.errno() == libc_epipe() => {
                let _ = self.pcm.prepare();
                Err(CardError::Underrun)
            }
            Err(e) => match self.pcm.try_recover(e, true) {
                Ok(()) => Err(CardError::Underrun),
                Err(e) => Err(CardError::Gone(format!("{}: {e}", self.name))),
            },
        }
    }
    fn drop_queued(&mut self) {
        let _ = self.pcm.drop();
        let _ = self.pcm.prepare();
    }
    fn drain(&mut self) {
        let _ = self.pcm.drain();
        let _ = self.pcm.prepare();
    }
}

/// EPIPE: an underrun.
const fn libc_epipe() -> i32 {
    32
}

/// The ALSA device `auto` picks from `/proc/asound/cards`: the first USB sound card, then
/// the board's headphone jack (the Pi's `Headphones` card), then `default` if a loudspeaker
/// is allowed; `None` if none qualifies.
pub fn auto_device(cards: &str, loudspeaker: bool) -> Option<String> {
    // Lines like ` 1 [Device         ]: USB-Audio - USB Audio Device`.
    let entries: Vec<(&str, &str)> = cards
        .lines()
        .filter_map(|l| {
            let (id, rest) = l.trim_start().split_once('[')?;
            let (name, what) = rest.split_once("]:")?;
            id.trim().parse::<u32>().ok()?;
            Some((name.trim(), what.trim()))
        })
        .collect();
    let usb = entries
        .iter()
        .find(|(_, what)| what.starts_with("USB-Audio"));
    let jack = entries
        .iter()
        .find(|(name, what)| *name == "Headphones" || what.contains("Headphones"));
    match usb.or(jack) {
        Some((name, _)) => Some(format!("plughw:CARD={name},DEV=0")),
        None => loudspeaker.then(|| "default".to_string()),
    }
}

/// The voice's output for `config`: the playback thread over the chosen card, opened at the
/// first speech. `desktop`: the simulator, whose default output is the desktop's.
pub fn playback(config: &Config, desktop: bool) -> Option<Playback> {
    let chosen = config.audio_device.clone();
    let loudspeaker = config.loudspeaker || desktop;
    let open: Opener = Box::new(move || {
        let name = if chosen == "auto" {
            let cards = std::fs::read_to_string("/proc/asound/cards").unwrap_or_default();
            auto_device(&cards, loudspeaker).ok_or_else(|| {
                "no USB sound card and no headphone jack (and loudspeaker = false)".to_string()
            })?
        } else {
            chosen.clone()
        };
        let card = AlsaCard::open(&name)?;
        eprintln!("bitig-kiosk: the voice plays on {name}");
        Ok(Box::new(card) as Box<dyn Card>)
    });
    match Playback::start(open) {
        Ok(p) => Some(p),
        Err(e) => {
            eprintln!(
                "bitig-kiosk: cannot start the voice's playback thread: {e}; the kiosk is silent"
            );
            None
        }
    }
}

/// Where ALSA's device nodes appear.
pub const SND_DIR: &str = "/dev/snd";

/// Whether `name`, a node in [`SND_DIR`], is a card's playback device (`pcmC1D0p`).
pub fn is_playback_node(name: &str) -> bool {
    name.strip_prefix("pcmC")
        .and_then(|r| r.strip_suffix('p'))
        .and_then(|r| r.split_once('D'))
        .is_some_and(|(card, dev)| {
            !card.is_empty()
                && !dev.is_empty()
                && card.bytes().chain(dev.bytes()).all(|b| b.is_ascii_digit())
        })
}

/// The card number of a node in [`SND_DIR`]: its control device (`controlC1`) or a
/// playback device (`pcmC1D0p`).
fn card_of(name: &str) -> Option<u32> {
    if let Some(n) = name.strip_prefix("controlC") {
        return n.parse().ok();
    }
    if is_playback_node(name) {
        let r = name.strip_prefix("pcmC")?;
        return r.split_once('D')?.0.parse().ok();
    }
    None
}

/// A watch on `dir` (inotify, no polling) for sound cards coming. A card is handed out once
/// the kiosk may use it: its control device and a playback device there and open to it
/// (udev sets their group a moment after the kernel makes them, an `ATTRIB` event).
pub struct CardWatch {
    fd: rustix::fd::OwnedFd,
    dir: std::path::PathBuf,
    /// Cards handed out (until their control device goes).
    told: std::collections::BTreeSet<u32>,
    /// Playback devices ready and not yet handed out.
    pending: std::collections::VecDeque<String>,
}

impl CardWatch {
    pub fn new(dir: &std::path::Path) -> std::io::Result<CardWatch> {
        use rustix::fs::inotify::{self, WatchFlags};
        let fd = inotify::init(inotify::CreateFlags::CLOEXEC)?;
        let what =
            WatchFlags::CREATE | WatchFlags::MOVED_TO | WatchFlags::ATTRIB | WatchFlags::DELETE;
        inotify::add_watch(&fd, dir, what)?;
        Ok(CardWatch {
            fd,
            dir: dir.to_path_buf(),
            told: Default::default(),
            pending: Default::default(),
        })
    }

    /// Card `card`'s first playback device, if the card is ready: its control device and
    /// that playback device open to this process for reading and writing.
    fn ready(&self, card: u32) -> Option<String> {
        use rustix::fs::{access, Access};
        let rw = Access::READ_OK | Access::WRITE_OK;
        access(self.dir.join(format!("controlC{card}")), rw).ok()?;
        let mut nodes: Vec<String> = std::fs::read_dir(&self.dir)
            .ok()?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| is_playback_node(n) && card_of(n) == Some(card))
            .collect();
        nodes.sort();
        nodes
            .into_iter()
            .find(|n| access(self.dir.join(n), rw).is_ok())
    }

    /// Waits for the next sound card to be ready; its first playback device's name.
    pub fn next_card(&mut self) -> std::io::Result<String> {
        use rustix::fs::inotify::ReadFlags;
        let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 4096];
        let mut events = rustix::fs::inotify::Reader::new(&self.fd, &mut buf);
        // Every event a read brought is taken (the buffer goes with this call); a read
        // blocks only when none is left to hand out.
        while self.pending.is_empty() || !events.is_buffer_empty() {
            let (name, gone) = match events.next() {
                Ok(ev) => (
                    ev.file_name()
                        .and_then(|n| n.to_str().ok())
                        .map(str::to_string),
                    ev.events().contains(ReadFlags::DELETE),
                ),
                Err(rustix::io::Errno::INTR) => continue,
                Err(e) => return Err(e.into()),
            };
            let Some(card) = name.as_deref().and_then(card_of) else {
                continue;
            };
            if gone {
                if name.is_some_and(|n| n.starts_with("controlC")) {
                    self.told.remove(&card);
                }
            } else if !self.told.contains(&card) {
                if let Some(node) = self.ready(card) {
                    self.told.insert(card);
                    self.pending.push_back(node);
                }
            }
        }
        Ok(self.pending.pop_front().unwrap_or_default())
    }
}

/// Starts watching for sound cards plugged in while the kiosk runs (a USB headset, a keypad
/// with a headphone socket): each is handed to `kiosk` on the UI thread
/// ([`crate::app::Kiosk::card_added`]). The Pi's own 3.5 mm output has no plug detection, so
/// headphones in it are not seen.
pub fn watch(kiosk: &crate::app::Kiosk) {
    thread_local! {
        static SINK: std::cell::RefCell<Option<Box<dyn Fn()>>> = const { std::cell::RefCell::new(None) };
    }
    let sink = kiosk.card_sink();
    SINK.with(|s| *s.borrow_mut() = Some(Box::new(sink)));
    let spawned = std::thread::Builder::new()
        .name("bitig-cards".into())
        .spawn(|| {
            let e = match CardWatch::new(std::path::Path::new(SND_DIR)) {
                Ok(mut w) => loop {
                    match w.next_card() {
                        Ok(name) => {
                            eprintln!("bitig-kiosk: a sound card came ({name})");
                            let _ = slint::invoke_from_event_loop(|| {
                                SINK.with(|s| {
                                    if let Some(f) = &*s.borrow() {
                                        f();
                                    }
                                })
                            });
                        }
                        Err(e) => break e,
                    }
                },
                Err(e) => e,
            };
            eprintln!("bitig-kiosk: cannot watch {SND_DIR} for sound cards: {e}");
        });
    if let Err(e) = spawned {
        eprintln!("bitig-kiosk: cannot start the sound card watch: {e}");
    }
}

#[cfg(test)]
mod tests {
    use super::{auto_device, is_playback_node, AlsaCard, CardWatch};
    use crate::audio::playback::{Card, PERIOD};

    /// ALSA's `null` device takes the voice's format (mono, 16-bit, 48 kHz, 20 ms periods)
    /// through the same code that opens a real card, and a cut and a drain on it.
    #[test]
    fn a_playback_node_coming_is_seen_and_others_are_not() {
        assert!(is_playback_node("pcmC1D0p"));
        assert!(is_playback_node("pcmC12D3p"));
        for other in [
            "pcmC1D0c",
            "controlC1",
            "pcmCD0p",
            "pcmC1Dp",
            "pcmCxD0p",
            "timer",
        ] {
            assert!(!is_playback_node(other), "{other}");
        }
        let dir = std::env::temp_dir().join(format!("bitig-snd-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut watch = CardWatch::new(&dir).unwrap();
        // Card 4's playback device before its control device: it is not ready until that
        // comes too.
        std::fs::write(dir.join("pcmC4D0p"), b"").unwrap();
        // Card 3's nodes: its control and capture, then two playback devices: the card is
        // handed out once, with its first playback device.
        for node in ["controlC3", "pcmC3D0c", "pcmC3D0p", "pcmC3D1p", "timer"] {
            std::fs::write(dir.join(node), b"").unwrap();
        }
        assert_eq!(watch.next_card().unwrap(), "pcmC3D0p");
        std::fs::write(dir.join("controlC4"), b"").unwrap();
        assert_eq!(watch.next_card().unwrap(), "pcmC4D0p");
        // Card 3 unplugged and plugged in again: handed out again.
        std::fs::remove_file(dir.join("controlC3")).unwrap();
        std::fs::write(dir.join("controlC3"), b"").unwrap();
        assert_eq!(watch.next_card().unwrap(), "pcmC3D0p");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn alsa_takes_the_voice_format() {
        let mut card = AlsaCard::open("null").expect("ALSA's null device (libasound2)");
        let tone: Vec<i16> = (0..PERIOD).map(|i| ((i % 48) as i16 - 24) * 500).collect();
        for _ in 0..3 {
            card.write(&tone).unwrap();
        }
        card.drop_queued();
        card.write(&tone).unwrap();
        card.drain();
        assert!(AlsaCard::open("no-such-card-xyz").is_err());
    }

    const PI4_WITH_USB: &str = " 0 [vc4hdmi0       ]: vc4-hdmi - vc4-hdmi-0\n                      vc4-hdmi-0\n 1 [Headphones     ]: bcm2835_headpho - bcm2835 Headphones\n                      bcm2835 Headphones\n 2 [Device         ]: USB-Audio - USB Audio Device\n                      C-Media USB Audio Device at usb-0000:01:00.0-1.3, full speed\n";

    #[test]
    fn auto_takes_the_usb_card_then_the_jack_and_never_hdmi_unless_allowed() {
        assert_eq!(
            auto_device(PI4_WITH_USB, false).as_deref(),
            Some("plughw:CARD=Device,DEV=0")
        );
        let no_usb: String = PI4_WITH_USB
            .lines()
            .take(4)
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(
            auto_device(&no_usb, false).as_deref(),
            Some("plughw:CARD=Headphones,DEV=0")
        );
        let hdmi_only: String = PI4_WITH_USB
            .lines()
            .take(2)
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(auto_device(&hdmi_only, false), None);
        assert_eq!(auto_device(&hdmi_only, true).as_deref(), Some("default"));
        assert_eq!(auto_device("--- no soundcards ---\n", false), None);
    }
}
