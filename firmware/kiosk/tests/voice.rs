//! The voice, in one headless kiosk (800x480) on the default content with its speech part,
//! driven by keys, its samples recorded at 48 kHz in virtual time:
//!
//! - in the two seconds before Action the record is silent; after it, it holds speech where the timing index
//!   puts the page's first sentences, and quiet in the pauses between them;
//! - a key cuts the voice within one 20 ms period;
//! - the page turns itself when the voice passes the page's end, to the page its sentence
//!   starts on;
//! - Down held goes a paragraph, each repeat to the next block's start;
//! - the speed key: a reading goes on fast from its sentence, on the fast track's timing;
//!   off a reading, the key says the new speed's name;
//! - volume and speed are back to their defaults, and the voice stopped, after the idle
//!   reset;
//! - the voice speaks the edition's language (Kazakh here);
//! - a page turned by a key off a reading: the voice says "Page 2 of 14";
//! - the PIN pad is silent: the operator's chord stops the voice, and digits say nothing; a
//!   wrong PIN is said;
//! - the sound card's underruns (a sink that runs dry every 50 writes) reach the statistics;
//! - the voice names the control the keys move to (a language button, in its language);
//! - the first key at the attract screen says how to choose a language (Kazakh first), and
//!   Help says what the keys do on the screen;
//! - with no bundle, the maintenance screen says its message in the three languages on a key,
//!   from the kiosk's built-in speech part (the kiosk binary, headless, `--audio-out`).
//!
//! One kiosk per test binary (the platform is installed once), so the phases run in order.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use bitig_format::speech::{Said, Speech};
use bitig_format::Lang;
use bitig_kiosk::app::{Kiosk, Options};
use bitig_kiosk::audio::{PcmSink, Sink, OUT_RATE};
use bitig_kiosk::config::{Config, Rotation};
use bitig_kiosk::content::load_bundle;
use bitig_kiosk::keys::Key;
use bitig_kiosk::nav::Screen;
use bitig_kiosk::platform::headless::Headless;

/// Output samples in a millisecond.
const PER_MS: u64 = OUT_RATE as u64 / 1000;
/// One playback period: 20 ms.
const PERIOD: usize = 20 * PER_MS as usize;

struct Visit<'a> {
    h: Headless,
    k: &'a Kiosk,
    rec: PcmSink,
}

impl Visit<'_> {
    fn key(&mut self, key: Key) {
        let code = self.k.code_for(key).unwrap();
        self.h.key(self.k, code, 60);
    }
    fn pcm(&self) -> Vec<i16> {
        self.k.speaking(); // renders up to now
        self.rec.0.lock().unwrap().clone()
    }
    /// From the attract screen by keys: the language `lang_downs` Downs from the first, then
    /// the first statement.
    fn open_first_statement(&mut self, lang_downs: usize) {
        self.key(Key::Action); // wakes, with the ring on the first language
        assert_eq!(
            self.k.saying(),
            Some(Said::Ui {
                key: "voice.welcome",
                lang: Lang::Kk
            }),
            "the first key says how to choose a language, in Kazakh first"
        );
        self.choose_first_statement(lang_downs);
    }
    /// [`Visit::open_first_statement`] from the language screen, woken by a key.
    fn choose_first_statement(&mut self, lang_downs: usize) {
        assert_eq!(self.k.screen(), Screen::Language);
        for _ in 0..lang_downs {
            self.key(Key::Down);
        }
        if lang_downs > 0 {
            // The voice names the language the keys moved to, in that language.
            let lang = Lang::ALL[lang_downs];
            assert_eq!(
                self.k.saying(),
                Some(Said::Ui {
                    key: "lang.name",
                    lang
                }),
                "the focused language is not said"
            );
        }
        self.key(Key::Action);
        assert_eq!(self.k.screen(), Screen::Library);
        // A card is said as it is shown: its title, then its byline (kind, date, place).
        self.key(Key::Down);
        let heard = said_in_turn(self, 30_000);
        assert!(
            matches!(
                heard.get(..2),
                Some([
                    Said::Block {
                        doc: 1,
                        block: 0,
                        ..
                    },
                    Said::Block {
                        doc: 1,
                        block: 1,
                        ..
                    }
                ])
            ),
            "the second card is not said as title and byline: {heard:?}"
        );
        self.key(Key::Up);
        self.key(Key::Action);
        assert_eq!(self.k.screen(), Screen::Reader);
        assert_eq!(self.k.focus().0, "listen", "the page takes the focus first");
        // The reader opened by keys: the voice says the page counter in the UI language.
        let heard = said_in_turn(self, 5000);
        let lang = Lang::ALL[lang_downs];
        assert_eq!(
            heard.get(..2),
            Some(&counter(lang, 1, 0)[..2]),
            "opening the reader does not say its page"
        );
    }
}

/// The record, as a sound card that runs dry once every 50 writes of speech would be: its
/// underruns must reach the statistics.
struct Dry {
    rec: PcmSink,
    plays: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl Sink for Dry {
    fn play(&mut self, pcm: &[i16]) {
        self.plays
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.rec.play(pcm);
    }
    fn silence(&mut self, n: usize) {
        self.rec.silence(n);
    }
    fn underruns(&self) -> u64 {
        self.plays.load(std::sync::atomic::Ordering::Relaxed) / 50
    }
}

/// What the voice says over the next `ms`, each text once in the order said.
fn said_in_turn(v: &mut Visit<'_>, ms: u64) -> Vec<Said<'static>> {
    let mut heard: Vec<Said<'static>> = Vec::new();
    for _ in 0..ms / 10 {
        v.k.speaking(); // renders up to now: the voice moves on to its next piece
        match v.k.saying() {
            Some(s) if heard.last() != Some(&s) => heard.push(s),
            Some(_) => {}
            None if !heard.is_empty() => break,
            None => {}
        }
        v.h.advance(10);
    }
    heard
}

/// "Page `page` of `count`", as the voice strings it together.
fn counter(lang: Lang, page: u16, count: u16) -> Vec<Said<'static>> {
    vec![
        Said::Ui {
            key: "voice.page",
            lang,
        },
        Said::Number { n: page, lang },
        Said::Ui {
            key: "voice.of",
            lang,
        },
        Said::Number { n: count, lang },
    ]
}

fn level(pcm: &[i16]) -> f64 {
    pcm.iter()
        .map(|&s| f64::from(s.unsigned_abs()))
        .sum::<f64>()
        / pcm.len().max(1) as f64
}

#[test]
fn the_voice_reads_is_cut_by_a_key_turns_pages_resets_and_keeps_the_pin_silent() {
    let bundle = common::voice_bundle("pi-touch-800x480");
    let text = std::fs::read(&bundle).unwrap();
    let b = bitig_format::Bundle::from_bundle_bytes(&text).unwrap();
    let part = std::fs::read(bundle.with_extension("speech")).unwrap();
    let speech = Speech::from_speech_bytes(&part).unwrap();
    let ratio = u64::from(OUT_RATE / speech.rate);

    let (mut h, clock) = Headless::install(Rotation::R0).unwrap();
    let rec = PcmSink::default();
    let dry = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let options = Options {
        audio_out: Some(Box::new(Dry {
            rec: rec.clone(),
            plays: dry.clone(),
        })),
        ..Default::default()
    };
    let k = Kiosk::with_options(
        load_bundle(&bundle),
        Config::load(None).unwrap(),
        clock,
        options,
    )
    .unwrap();
    k.record_controls();
    h.attach(&k).unwrap();
    let mut v = Visit { h, k: &k, rec };

    // English is the third language.
    v.open_first_statement(2);
    assert!(!k.speaking());
    // Two quiet seconds, which nothing renders until Action does.
    v.h.advance(2000);
    let go = v.h.now_ms();
    v.key(Key::Action);
    let first = k.spoken_sentence().expect("Action starts the voice");
    assert_eq!(first.lang, Lang::En);
    let doc = usize::from(first.doc);
    let page0 = &b.documents[doc]
        .edition(Lang::En)
        .unwrap()
        .layout(bitig_format::TextSize::Normal)
        .unwrap()
        .pages[0];
    let top = &page0.lines[0];
    assert_eq!(
        (first.block, first.start),
        (top.block, top.start),
        "from the top of the page"
    );
    v.h.advance(15_000);
    assert!(k.speaking());
    let pcm = v.pcm();

    // 1. Silence before Action, speech where the timing index says after it.
    let at = (go * PER_MS) as usize;
    let quiet = ((go - 2000) * PER_MS) as usize;
    assert!(
        pcm[quiet..at].iter().all(|&s| s == 0),
        "sound before Action"
    );
    // The reading began at the first sentence's first sample.
    let start_track = speech
        .track(&Said::Block {
            doc: first.doc,
            lang: Lang::En,
            block: first.block,
        })
        .unwrap();
    let skipped = start_track
        .sentences
        .iter()
        .find(|s| s.start == first.start)
        .unwrap()
        .from;
    let mut t = at - (u64::from(skipped) * ratio) as usize;
    let mut checked = 0;
    for block in first.block.. {
        let said = Said::Block {
            doc: first.doc,
            lang: Lang::En,
            block,
        };
        let track = speech.track(&said).unwrap();
        for s in &track.sentences {
            let from = t + (u64::from(s.from) * ratio) as usize;
            let to = t + (u64::from(s.to) * ratio) as usize;
            if to + 200 * PER_MS as usize > pcm.len() {
                break;
            }
            let speech_level = level(&pcm[from..to]);
            // The 250 ms or longer pause after it, but for Opus's tail.
            let pause = &pcm[to + PERIOD..to + 200 * PER_MS as usize];
            assert!(
                speech_level > 300.0,
                "block {block} sentence at {from}..{to}: level {speech_level:.0}, no speech"
            );
            assert!(
                level(pause) < 40.0,
                "block {block}: sound ({:.0}) in the pause after {to}",
                level(pause)
            );
            checked += 1;
        }
        t += (u64::from(track.samples) * ratio) as usize;
        if t >= pcm.len() {
            break;
        }
    }
    assert!(checked >= 3, "only {checked} sentences within 15 s");

    // 2. A key (a digit here, which does nothing else in the reader) cuts the voice within
    // one period.
    let cut = v.h.now_ms();
    v.key(Key::Digit(5));
    v.h.advance(1000);
    assert!(!k.speaking());
    let pcm = v.pcm();
    let from = (cut * PER_MS) as usize + PERIOD;
    assert!(
        pcm[from..].iter().all(|&s| s == 0),
        "the voice went on after the key: level {:.0}",
        level(&pcm[from..])
    );

    // 2b. Next and Back by key, off a reading: the page turns, and the voice says where the
    // reader is, piece by piece ("Page 2 of 14"), each piece with speech in the record.
    let count = b.documents[doc]
        .edition(Lang::En)
        .unwrap()
        .layout(bitig_format::TextSize::Normal)
        .unwrap()
        .pages
        .len() as u16;
    for (key, page) in [(Key::Next, 2), (Key::Back, 1)] {
        let from = v.pcm().len();
        v.key(key);
        assert_eq!(k.page().0, page - 1);
        let heard = said_in_turn(&mut v, 5000);
        assert_eq!(
            heard,
            counter(Lang::En, page, count),
            "after {key:?}, the voice does not say the page counter"
        );
        let pcm = v.pcm();
        assert!(
            level(&pcm[from..]) > 100.0,
            "the counter's pieces are silent: level {:.0}",
            level(&pcm[from..])
        );
    }

    // Help says what the keys do here, in the UI language; Action then reads the page.
    v.key(Key::Help);
    assert_eq!(
        k.saying(),
        Some(Said::Ui {
            key: "help.reader",
            lang: Lang::En
        })
    );
    v.h.advance(1000);
    assert!(k.speaking());

    // 3. Read on past the page's end: the page turns itself to where the sentence starts.
    assert_eq!(k.page().0, 0);
    v.key(Key::Action);
    assert!(
        matches!(k.saying(), Some(Said::Block { .. })),
        "Action reads the page"
    );
    assert!(k.speaking());
    let mut waited = 0;
    while k.page().0 == 0 && waited < 600_000 {
        v.h.advance(500);
        waited += 500;
    }
    assert_eq!(k.page().0, 1, "no page turn after {waited} ms of reading");
    let s = k.spoken_sentence().unwrap();
    let page1 = &b.documents[doc]
        .edition(Lang::En)
        .unwrap()
        .layout(bitig_format::TextSize::Normal)
        .unwrap()
        .pages[1];
    let top = &page1.lines[0];
    assert!(
        (top.block, top.start) <= (s.block, s.start),
        "the spoken sentence is on the new page"
    );
    assert!(k.speaking(), "the voice reads on");

    // 3b. The speed key: the reading goes on fast from the start of its sentence, and the
    // next sentence comes when the fast track's timing index says, not the normal one's.
    let s0 = k.spoken_sentence().unwrap();
    let pressed = v.h.now_ms();
    v.key(Key::Speed);
    assert_eq!(k.speed(), 2, "the speed key goes from normal to fast");
    k.speaking();
    assert_eq!(
        k.spoken_sentence().map(|s| (s.block, s.start)),
        Some((s0.block, s0.start)),
        "the sentence goes on at the new speed"
    );
    let ms_to_next = |speed: u8| {
        let said = |block| Said::Block {
            doc: s0.doc,
            lang: s0.lang,
            block,
        };
        let t = speech.track_at(&said(s0.block), speed).unwrap();
        let n = t
            .sentences
            .iter()
            .position(|s| s.start == s0.start)
            .unwrap();
        let samples = match t.sentences.get(n + 1) {
            Some(next) => next.from - t.sentences[n].from,
            None => {
                let next = speech.track_at(&said(s0.block + 1), speed).unwrap();
                t.samples - t.sentences[n].from + next.sentences[0].from
            }
        };
        u64::from(samples) * ratio / PER_MS
    };
    let (fast, normal) = (ms_to_next(2), ms_to_next(1));
    assert!(
        fast + 60 < normal,
        "the fast sentence ({fast} ms) is not shorter than the normal one ({normal} ms)"
    );
    let mut elapsed = 0;
    while elapsed < 60_000 {
        v.h.advance(10);
        k.speaking();
        if k.spoken_sentence().map(|s| (s.block, s.start)) != Some((s0.block, s0.start)) {
            elapsed = v.h.now_ms() - pressed;
            break;
        }
    }
    assert!(
        elapsed.abs_diff(fast) <= 20,
        "the next sentence came {elapsed} ms after the speed key: the fast index says {fast} ms, the normal {normal} ms"
    );

    // 3c. Down held: its press goes a sentence, each repeat (500 ms, then every 200 ms) to
    // the start of the next paragraph.
    assert!(k.speaking());
    let down = k.code_for(Key::Down).unwrap();
    k.key(down, true);
    let s1 = k.spoken_sentence().unwrap();
    let first_of = |block: u16| {
        let said = Said::Block {
            doc: s1.doc,
            lang: s1.lang,
            block,
        };
        (block, speech.track(&said).unwrap().sentences[0].start)
    };
    for (hold, blocks) in [(600, 1), (200, 2)] {
        v.h.advance(hold);
        let s = k.spoken_sentence().unwrap();
        assert_eq!(
            (s.block, s.start),
            first_of(s1.block + blocks),
            "Down held for {} ms after a press that went to block {} at {}",
            if blocks == 1 { 600 } else { 800 },
            s1.block,
            s1.start
        );
    }
    k.key(down, false);
    v.h.advance(20);

    // 4. Volume, speed and the voice reset at the idle reset.
    v.key(Key::VolumeUp);
    v.key(Key::VolumeUp);
    assert_eq!(k.volume(), bitig_kiosk::screens::ctx::VOLUME_DEFAULT + 2);
    v.key(Key::Action); // pauses (the reading keeps the kiosk awake)
    assert!(!k.speaking());
    // On the way, the idle warning comes up and is said (the visitor uses keys).
    let mut warned = 0;
    for _ in 0..800 {
        if k.screen() == Screen::Attract {
            break;
        }
        v.h.advance(500);
        k.speaking();
        let idle = Said::Ui {
            key: "idle.warning",
            lang: Lang::En,
        };
        warned += usize::from(k.saying() == Some(idle));
    }
    assert_eq!(k.screen(), Screen::Attract);
    assert!(
        (2..=10).contains(&warned),
        "the idle warning was heard in {warned} half-seconds, not once through"
    );
    assert_eq!(k.volume(), bitig_kiosk::screens::ctx::VOLUME_DEFAULT);
    assert_eq!(
        k.speed(),
        bitig_format::speech::NORMAL_SPEED,
        "the speed resets"
    );
    assert!(k.spoken_sentence().is_none(), "the voice forgot its place");

    // 4b. A headset plugged in at the attract screen hears how to choose a language by
    // keys; the first key wakes the kiosk without saying it again from the start: the
    // Turkish welcome follows the Kazakh when the Kazakh track says, counted from the plug.
    let welcome = |lang| Said::Ui {
        key: "voice.welcome",
        lang,
    };
    let plugged = v.h.now_ms();
    k.card_added();
    assert_eq!(k.screen(), Screen::Attract);
    assert_eq!(
        k.saying(),
        Some(welcome(Lang::Kk)),
        "a headset plugged in hears the welcome"
    );
    v.h.advance(1500);
    let kk_ms = u64::from(speech.track(&welcome(Lang::Kk)).unwrap().samples) * ratio / PER_MS;
    v.key(Key::Action);
    assert_eq!(
        k.screen(),
        Screen::Language,
        "the first key wakes the kiosk"
    );
    assert_eq!(k.saying(), Some(welcome(Lang::Kk)));
    v.h.advance(plugged + kk_ms + 200 - v.h.now_ms());
    k.speaking();
    assert_eq!(
        k.saying(),
        Some(welcome(Lang::Tr)),
        "the first key after the plug said the welcome again from the start"
    );

    // 5. The voice speaks the edition's language: Kazakh. Off a reading, the speed key
    // says the new speed's name in the UI language, each key cutting the last name.
    v.choose_first_statement(0);
    // 5a. A jump by the page grid (counter, Next to page 2's tile, Action): the way back is
    // said with its page, words first in every language ("Оралатын бет: 1").
    let focus_on = |v: &mut Visit<'_>, name: &str| {
        for _ in 0..30 {
            if k.focus().0 == name {
                return;
            }
            v.key(Key::Down);
        }
        panic!("{name} cannot be reached by keys");
    };
    focus_on(&mut v, "page counter");
    v.key(Key::Action);
    assert_eq!(k.screen(), Screen::PageGrid);
    v.key(Key::Next);
    v.key(Key::Action);
    assert_eq!((k.screen(), k.page().0), (Screen::Reader, 1));
    // The page counter is said over the page; Down then moves the focus (it skips
    // sentences only in the page's own text).
    assert!(
        matches!(
            k.saying(),
            Some(Said::Ui {
                key: "voice.page",
                ..
            })
        ),
        "{:?}",
        k.saying()
    );
    assert_eq!(k.focus().0, "listen");
    v.key(Key::Down);
    assert_eq!(
        k.focus().0,
        "back",
        "Down over the said counter did not move the focus"
    );
    // Every control of the bar has a spoken name: "Aa" is said as "Text size".
    focus_on(&mut v, "text size");
    assert_eq!(
        k.saying(),
        Some(Said::Ui {
            key: "voice.size",
            lang: Lang::Kk
        }),
        "the text size button is not named"
    );
    focus_on(&mut v, "back to page");
    let heard = said_in_turn(&mut v, 5000);
    assert_eq!(
        heard,
        [
            Said::Ui {
                key: "voice.return",
                lang: Lang::Kk
            },
            Said::Number {
                n: 1,
                lang: Lang::Kk
            }
        ],
        "the way back is not said with its page"
    );
    for key in ["voice.fast", "voice.slow", "voice.normal"] {
        v.key(Key::Speed);
        assert_eq!(
            k.saying(),
            Some(Said::Ui {
                key,
                lang: Lang::Kk
            })
        );
    }
    // 5b. The reader's speed button, by keys: reached, it says the speed it is at; each
    // Action goes on to the next speed, as the Speed key does, and says it.
    focus_on(&mut v, "speed");
    let name = |key| {
        Some(Said::Ui {
            key,
            lang: Lang::Kk,
        })
    };
    assert_eq!(
        k.saying(),
        name("voice.normal"),
        "the speed button names its speed"
    );
    for (key, speed) in [("voice.fast", 2), ("voice.slow", 0), ("voice.normal", 1)] {
        v.key(Key::Action);
        assert_eq!(
            (k.saying(), k.speed()),
            (name(key), speed),
            "the speed button"
        );
    }
    // The keys back on the page: it says what Action does there.
    focus_on(&mut v, "listen");
    assert_eq!(k.saying(), name("voice.listen"), "the page is not named");
    v.key(Key::Action);
    assert_eq!(k.spoken_sentence().unwrap().lang, Lang::Kk);
    v.h.advance(3000);
    assert!(k.speaking());
    // 5c. A finger on the English button while Kazakh is read: the page shows English, so
    // the Kazakh reading ends (the voice reads only the edition on show), and Action reads on
    // in English; a finger on the Kazakh button ends that in turn.
    let _ = v.h.frame(); // Slint lays the screen out (and reports its controls) as it draws
    let laid = k.take_controls();
    let centre = |name: &str| {
        laid.iter()
            .rfind(|c| c.0 == name)
            .map(|c| (c.1 + c.3 / 2.0, c.2 + c.4 / 2.0))
            .unwrap_or_else(|| panic!("the reader's {name} button was not laid out"))
    };
    for (button, was, then) in [
        ("language 2", Lang::Kk, Lang::En),
        ("language 0", Lang::En, Lang::Kk),
    ] {
        let (x, y) = centre(button);
        v.h.tap(x, y);
        v.h.advance(300);
        assert!(
            k.spoken_sentence().is_none(),
            "the {was:?} reading went on under the {then:?} page: {:?}",
            k.spoken_sentence()
        );
        // The first key after a touch only shows the focus ring.
        v.key(Key::Down);
        focus_on(&mut v, "listen");
        v.key(Key::Action);
        assert_eq!(k.spoken_sentence().unwrap().lang, then);
        v.h.advance(3000);
        assert!(k.speaking());
    }

    // 6. The PIN pad is silent: the chord stops the voice; digits say nothing.
    let help = k.code_for(Key::Help).unwrap();
    let back = k.code_for(Key::Back).unwrap();
    k.key(help, true);
    k.key(back, true);
    v.h.advance(5200);
    k.key(back, false);
    k.key(help, false);
    v.h.advance(100);
    assert_eq!(k.screen(), Screen::Pin);
    let chord = v.h.now_ms() - 300;
    for d in [1, 2, 3] {
        v.key(Key::Digit(d));
    }
    // Away from the attract screen, a card coming says nothing.
    k.card_added();
    assert_eq!(k.screen(), Screen::Pin);
    v.h.advance(2000);
    let pcm = v.pcm();
    let from = (chord * PER_MS) as usize + PERIOD;
    assert!(
        pcm[from..].iter().all(|&s| s == 0),
        "sound on the PIN pad: level {:.0}",
        level(&pcm[from..])
    );

    // 6b. A wrong PIN is said (EN 301 549 5.1.3.15), its digits never: 1239, then OK (Up
    // from the first digit goes round to it).
    v.key(Key::Digit(9));
    v.key(Key::Up);
    assert_eq!(k.focus().0, "ok");
    let quiet_to = v.pcm().len();
    assert!(
        v.pcm()[from..quiet_to].iter().all(|&s| s == 0),
        "a digit or the OK key was said"
    );
    v.key(Key::Action);
    assert_eq!(
        k.saying(),
        Some(Said::Ui {
            key: "menu.wrong-pin",
            lang: Lang::Kk
        }),
        "a wrong PIN is not said"
    );
    v.h.advance(1500);
    let pcm = v.pcm();
    assert!(level(&pcm[quiet_to..]) > 100.0, "the wrong PIN is silent");

    // 6c. The fifth wrong PIN locks the pad for 30 s, and the wait is said with its unit.
    for _ in 0..4 {
        for d in [1, 2, 3, 9] {
            v.key(Key::Digit(d));
        }
        assert_eq!(k.focus().0, "ok");
        v.key(Key::Action);
        v.h.advance(200);
    }
    let locked_at = v.pcm().len();
    let heard = said_in_turn(&mut v, 15_000);
    assert!(
        level(&v.pcm()[locked_at..]) > 100.0,
        "the locked pad's wait is silent in the record"
    );
    let kk = |key| Said::Ui {
        key,
        lang: Lang::Kk,
    };
    assert_eq!(
        heard,
        [
            kk("menu.pin-locked"),
            Said::Number {
                n: 30,
                lang: Lang::Kk
            },
            kk("voice.seconds")
        ],
        "the locked pad's wait is not said in seconds"
    );

    // 7. The sound card's underruns are in the statistics, every one of them.
    k.speaking(); // pumps the voice, which hands them over
    let told: u64 = k
        .stats_csv()
        .lines()
        .filter(|l| l.split(',').nth(1) == Some(bitig_kiosk::stats::measure::UNDERRUNS))
        .map(|l| l.rsplit(',').next().unwrap().parse::<u64>().unwrap())
        .sum();
    let dry_now = dry.load(std::sync::atomic::Ordering::Relaxed) / 50;
    assert!(
        dry_now > 10,
        "only {dry_now} underruns: the voice hardly spoke"
    );
    assert_eq!(told, dry_now, "underruns lost on the way to the statistics");
}

/// The speech part is loaded with its bundle only if it belongs to it: a part made for other
/// text, a damaged part, or (with trusted keys) an unsigned one is refused with its code, and
/// the text still loads.
#[test]
fn a_speech_part_that_does_not_belong_is_refused_and_the_text_still_loads() {
    use bitig_kiosk::content::load_bundle_checked;
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("voice-refusals");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let bundle = common::voice_bundle("pi-touch-800x480");
    let text = std::fs::read(&bundle).unwrap();
    let part = std::fs::read(bundle.with_extension("speech")).unwrap();
    let load = |name: &str, text: &[u8], part: &[u8], trusted: &[[u8; 32]]| {
        let b = dir.join(format!("{name}.bundle"));
        std::fs::write(&b, text).unwrap();
        std::fs::write(b.with_extension("speech"), part).unwrap();
        load_bundle_checked(&b, trusted).expect("the text loads")
    };

    let ok = load("ok", &text, &part, &[]);
    assert!(ok.speech.is_some() && ok.speech_error.is_none());

    // Another bundle (the 720x1280 one) beside this part.
    let other = std::fs::read(common::bundle("pi-touch2-720x1280")).unwrap();
    let l = load("other", &other, &part, &[]);
    assert!(l.speech.is_none());
    let e = l.speech_error.unwrap();
    assert_eq!(e.code, "E-SPEECH", "{}", e.message);
    assert!(e.message.contains("other.speech") && e.message.contains("another bundle"));

    // A flipped byte in the part's body.
    let mut bad = part.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let l = load("flipped", &text, &bad, &[]);
    assert_eq!(l.speech_error.unwrap().code, "E-HASH");

    // With trusted keys: the bundle signed, the part not.
    let secret = [7u8; 32];
    let public = bitig_format::signature::public_key(&secret);
    let mut signed = text.clone();
    signed.extend_from_slice(&bitig_format::signature::sign(&text, &secret));
    let l = load("unsigned-part", &signed, &part, &[public]);
    assert_eq!(l.speech_error.unwrap().code, "E-UNSIGNED");
    let mut signed_part = part.clone();
    signed_part.extend_from_slice(&bitig_format::signature::sign(&part, &secret));
    let l = load("signed", &signed, &signed_part, &[public]);
    assert!(
        l.speech.is_some(),
        "{:?}",
        l.speech_error.map(|e| e.message)
    );
}

/// With no bundle the kiosk shows its maintenance screen from the built-in fallback bundle;
/// its built-in speech part says that screen's message. Headless, `--audio-out`: two quiet
/// seconds, then a key, and the record holds the message in Kazakh, Turkish and English, as
/// long as their three tracks, then silence.
#[test]
fn the_maintenance_screen_says_its_message_in_three_languages_on_a_key() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("voice-maintenance");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let wav = dir.join("out.wav");
    let s = "expect maintenance\nwait 2000\nexpect-silent\nkey action\nwait 500\nexpect-speaking\nwait 40000\nexpect-silent\nexpect maintenance\n";
    let r = common::run(
        "voice-maintenance",
        &dir.join("missing.bundle"),
        s,
        &["--audio-out", wav.to_str().unwrap()],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let (rate, pcm) = bitig_io::wav::wav_samples(&std::fs::read(&wav).unwrap()).unwrap();
    assert_eq!(rate, OUT_RATE);
    let per_ms = rate as usize / 1000;
    assert!(
        pcm[..2000 * per_ms].iter().all(|&s| s == 0),
        "sound before the key"
    );
    // The three messages' length, from the built-in part.
    let part = Speech::from_speech_bytes(bitig_kiosk::app::FALLBACK_SPEECH).unwrap();
    let said: u64 = Lang::ALL
        .iter()
        .map(|&lang| {
            let t = part
                .track(&Said::Ui {
                    key: "maintenance.body",
                    lang,
                })
                .expect("the message in every language");
            u64::from(t.samples) * u64::from(OUT_RATE / part.rate)
        })
        .sum();
    let key = 2000 * per_ms;
    let last = pcm.iter().rposition(|&s| s.unsigned_abs() > 200).unwrap();
    let heard = (last - key) as u64;
    assert!(
        heard * 100 > said * 90 && heard <= said,
        "{heard} samples of sound after the key, the three messages are {said}"
    );
    // Each message where its track puts it, one after the other from the key: speech in
    // its first half, and the pause (300 ms) that ends it quiet, but for Opus's tail.
    let mut at = key;
    for lang in Lang::ALL {
        let t = part
            .track(&Said::Ui {
                key: "maintenance.body",
                lang,
            })
            .unwrap();
        let len = (u64::from(t.samples) * u64::from(OUT_RATE / part.rate)) as usize;
        let speech = level(&pcm[at + 40 * per_ms..at + len / 2]);
        let pause = level(&pcm[at + len - 240 * per_ms..at + len - 40 * per_ms]);
        assert!(
            speech > 300.0,
            "{lang:?}: the message is quiet ({speech:.0})"
        );
        assert!(
            pause < 40.0,
            "{lang:?}: sound in its closing pause ({pause:.0})"
        );
        at += len;
    }
}
