//! The kiosk's voice (DESIGN.md principle 6): it plays the speech part the bundler made and
//! never synthesizes. [`Voice`] decodes the part's Opus packets (libopus, straight to
//! [`OUT_RATE`], so no resampler runs on the board), applies the visitor's volume, and hands
//! the samples to a [`Sink`]: the board's sound card, or the headless kiosk's PCM record
//! (`--audio-out`).
//!
//! Time is the kiosk's clock: [`Voice::pump`] renders every sample from the last pump to now,
//! speech or silence, so a headless run's record is the exact timeline of what a visitor
//! would have heard, in virtual time. Every change (start, pause, a key that cuts the voice)
//! pumps first, so it takes effect at the sample of its moment.

pub mod playback;

use bitig_format::speech::{Packets, Said, Speech, Track, NORMAL_SPEED, SPEEDS};
use bitig_format::Lang;
use std::sync::{Arc, Mutex};

/// The rate the voice is played at: what USB sound cards (and QEMU's) take, and a multiple
/// of every Opus rate.
pub const OUT_RATE: u32 = 48_000;
/// Volume steps as Q15 gains: 3 dB apart, step 10 is full scale, step 0 is −30 dB.
pub const GAIN_Q15: [i32; 11] = [
    1036, 1464, 2068, 2920, 4125, 5827, 8231, 11627, 16423, 23198, 32768,
];
/// Packets decoded before a seek target so the decoder has settled (Opus's advice: 80 ms).
const PRE_ROLL_PACKETS: usize = 4;
/// Texts [`Voice::say_all`] queues after the first ("Go to page. Page 3 of 12").
const THEN: usize = 4;
/// The largest Opus packet: 120 ms at 48 kHz.
const MAX_DECODED: usize = 5760;

/// Where the voice's samples go.
pub trait Sink {
    /// Speech samples, mono at [`OUT_RATE`].
    fn play(&mut self, pcm: &[i16]);
    /// `n` samples of nothing. A sound card lets them pass; a record writes zeros.
    fn silence(&mut self, n: usize);
    /// The voice stopped: drop what is queued and not yet heard.
    fn cut(&mut self) {}
    /// How far ahead of the clock samples are rendered (a card's queue).
    fn lead_ms(&self) -> u64 {
        0
    }
    /// The output went away since last asked (a card unplugged): the voice stops.
    fn gone(&mut self) -> bool {
        false
    }
    /// Times the output ran dry since it started (a card's underruns).
    fn underruns(&self) -> u64 {
        0
    }
}

/// A record of every sample, shared with whoever reads it (the headless kiosk writes it to
/// `--audio-out`; tests look at it).
#[derive(Debug, Clone, Default)]
pub struct PcmSink(pub Arc<Mutex<Vec<i16>>>);

impl Sink for PcmSink {
    fn play(&mut self, pcm: &[i16]) {
        if let Ok(mut v) = self.0.lock() {
            v.extend_from_slice(pcm);
        }
    }
    fn silence(&mut self, n: usize) {
        if let Ok(mut v) = self.0.lock() {
            let len = v.len();
            v.resize(len + n, 0);
        }
    }
}

/// What the voice is saying.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Reading {
    track: usize,
    /// Output samples of the track still to come.
    left: u64,
    /// Output samples of the track already given.
    done: u64,
    paused: bool,
    /// One text only (a control's label, a help): the voice stops at its end.
    single: bool,
}

/// The sentence being spoken: the block's text bytes `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Spoken {
    pub doc: u16,
    pub lang: Lang,
    pub block: u16,
    pub start: u32,
    pub end: u32,
}

/// The voice: the speech part, its decoder and where it is.
pub struct Voice {
    speech: Option<Speech<'static>>,
    sink: Option<Box<dyn Sink>>,
    decoder: Option<opus::Decoder>,
    reading: Option<Reading>,
    /// Tracks to say after a single one, in order (the welcome in three languages).
    then: [Option<usize>; THEN],
    packets: Option<Packets<'static>>,
    /// Decoded samples not yet given: `buf[at..len]`, the first `skip` of them dropped.
    buf: Box<[i16; MAX_DECODED]>,
    at: usize,
    len: usize,
    skip: u64,
    /// The clock time samples were last rendered up to, and the rounding carried.
    pumped_ms: Option<u64>,
    /// Samples rendered since start (speech and silence).
    pub rendered: u64,
    /// Samples of speech rendered since start.
    pub spoken: u64,
    /// The speed texts are said at (the part holds each text at every speed).
    speed: u8,
    /// The sink's underruns already handed to the statistics.
    underruns_told: u64,
}

impl Voice {
    /// The voice of `speech`, played into `sink`. Without a part it stays silent.
    pub fn new(speech: Option<Speech<'static>>, sink: Option<Box<dyn Sink>>) -> Voice {
        let decoder = speech
            .as_ref()
            .and_then(|_| opus::Decoder::new(OUT_RATE, opus::Channels::Mono).ok());
        Voice {
            speech,
            sink,
            decoder,
            reading: None,
            then: [None; THEN],
            packets: None,
            buf: Box::new([0; MAX_DECODED]),
            at: 0,
            len: 0,
            skip: 0,
            pumped_ms: None,
            rendered: 0,
            spoken: 0,
            speed: NORMAL_SPEED,
            underruns_told: 0,
        }
    }

    /// Takes another speech part (a bundle shown again in place, `--watch`): what was being
    /// said stops; the sound card, the clock, the speed and the counts carry on.
    pub fn replace_speech(&mut self, now: u64, volume: u8, speech: Option<Speech<'static>>) {
        self.stop(now, volume);
        let mut next = Voice::new(speech, self.sink.take());
        next.pumped_ms = self.pumped_ms;
        next.rendered = self.rendered;
        next.spoken = self.spoken;
        next.speed = self.speed;
        next.underruns_told = self.underruns_told;
        *self = next;
    }

    /// The sink's underruns since last asked (for the statistics).
    pub fn take_underruns(&mut self) -> u64 {
        let all = self.sink.as_ref().map_or(0, |s| s.underruns());
        let new = all.saturating_sub(self.underruns_told);
        self.underruns_told = all.max(self.underruns_told);
        new
    }

    /// The kiosk has a voice: a speech part was loaded with its bundle.
    pub fn available(&self) -> bool {
        self.speech.is_some() && self.decoder.is_some()
    }

    /// Speech is playing (not paused).
    pub fn speaking(&self) -> bool {
        self.reading.is_some_and(|r| !r.paused)
    }

    /// Speech is under way, playing or paused.
    pub fn reading(&self) -> bool {
        self.reading.is_some()
    }

    fn ratio(&self) -> u64 {
        self.speech
            .as_ref()
            .map_or(1, |s| u64::from(OUT_RATE / s.rate.max(1)))
    }

    fn track(&self, i: usize) -> Option<&Track<'static>> {
        self.speech.as_ref()?.tracks.get(i)
    }

    /// The index of the sentence of `t` that reading `r` is in (the last that began).
    fn sentence_in(&self, r: &Reading, t: &Track<'_>) -> Option<usize> {
        let pos = (r.done / self.ratio()) as u32;
        t.sentences.iter().rposition(|s| s.from <= pos)
    }

    /// What the voice is saying (or paused in).
    pub fn said(&self) -> Option<Said<'static>> {
        self.reading
            .and_then(|r| self.track(r.track))
            .map(|t| t.said)
    }

    /// The voice is on a text of the bundle (a block: the page's, or a card's or a contents
    /// entry's words), playing or paused, not on a UI string or a number.
    pub fn on_text(&self) -> bool {
        matches!(self.said(), Some(Said::Block { .. }))
    }

    /// The sentence being spoken (or paused in).
    pub fn sentence(&self) -> Option<Spoken> {
        let r = self.reading?;
        let t = self.track(r.track)?;
        let Said::Block { doc, lang, block } = t.said else {
            return None;
        };
        let s = t.sentences.get(self.sentence_in(&r, t).unwrap_or(0))?;
        Some(Spoken {
            doc,
            lang,
            block,
            start: s.start,
            end: s.end,
        })
    }

    /// Renders every sample from the last pump to `now` at volume step `volume`.
    pub fn pump(&mut self, now: u64, volume: u8) {
        if self.sink.as_mut().is_some_and(|s| s.gone()) {
            self.reading = None;
            self.packets = None;
        }
        let now = now + self.sink.as_ref().map_or(0, |s| s.lead_ms());
        let Some(last) = self.pumped_ms.replace(now) else {
            return;
        };
        let now = now.max(last);
        let target = now * u64::from(OUT_RATE) / 1000;
        let from = last * u64::from(OUT_RATE) / 1000;
        let mut n = target.saturating_sub(from) as usize;
        let gain = GAIN_Q15[usize::from(volume).min(GAIN_Q15.len() - 1)];
        while n > 0 {
            let got = if self.speaking() {
                self.speak_into(n, gain)
            } else {
                0
            };
            if got == 0 {
                if let Some(s) = &mut self.sink {
                    s.silence(n);
                }
                self.rendered += n as u64;
                break;
            }
            n -= got;
        }
    }

    /// Starts the clock: samples are rendered from `now` on.
    pub fn start_clock(&mut self, now: u64) {
        self.pumped_ms.get_or_insert(now);
    }

    /// Up to `n` samples of speech into the sink; 0 when the voice has stopped.
    fn speak_into(&mut self, n: usize, gain: i32) -> usize {
        loop {
            let Some(left) = self.reading.map(|r| r.left) else {
                return 0;
            };
            if left == 0 {
                self.next_track();
                continue;
            }
            if self.at >= self.len {
                if !self.decode_next() {
                    // The packets ran out (or one did not decode): on to the next block.
                    self.next_track();
                }
                continue;
            }
            if self.skip > 0 {
                let drop = (self.skip as usize).min(self.len - self.at);
                self.skip -= drop as u64;
                self.at += drop;
                continue;
            }
            let mut out = [0i16; 960];
            let take = (self.len - self.at)
                .min(n)
                .min(left as usize)
                .min(out.len());
            for (o, &s) in out.iter_mut().zip(&self.buf[self.at..self.at + take]) {
                *o = ((i32::from(s) * gain) >> 15) as i16;
            }
            if let Some(s) = &mut self.sink {
                s.play(&out[..take]);
            }
            self.at += take;
            self.rendered += take as u64;
            self.spoken += take as u64;
            if let Some(r) = &mut self.reading {
                r.left -= take as u64;
                r.done += take as u64;
            }
            return take;
        }
    }

    /// Decodes the next packet into the buffer; false at the track's end.
    fn decode_next(&mut self) -> bool {
        let (Some(packets), Some(dec)) = (&mut self.packets, &mut self.decoder) else {
            return false;
        };
        let Some(p) = packets.next() else {
            return false;
        };
        match dec.decode(p, &mut self.buf[..], false) {
            Ok(n) => {
                self.at = 0;
                self.len = n;
                true
            }
            Err(e) => {
                eprintln!("bitig-kiosk: the voice stopped: a packet does not decode: {e}");
                self.reading = None;
                self.packets = None;
                false
            }
        }
    }

    /// Goes on with the next block of the same edition, or stops at the end.
    fn next_track(&mut self) {
        let Some(r) = self.reading else {
            return;
        };
        if r.single {
            match self.then.iter_mut().find_map(Option::take) {
                Some(i) => {
                    self.seek(i, 0);
                    if let Some(r) = &mut self.reading {
                        r.single = true;
                    }
                }
                None => {
                    self.reading = None;
                    self.packets = None;
                }
            }
            return;
        }
        let next = self.track(r.track).and_then(|t| match t.said {
            Said::Block { doc, lang, block } => {
                let want = Said::Block {
                    doc,
                    lang,
                    block: block.checked_add(1)?,
                };
                self.index_of(&want)
            }
            Said::Ui { .. } | Said::Number { .. } => None,
        });
        match next {
            Some(i) => self.seek(i, 0),
            None => self.reading = None,
        }
    }

    /// The track that says `said` at the voice's speed.
    fn index_of(&self, said: &Said<'_>) -> Option<usize> {
        self.speech.as_ref()?.index_at(said, self.speed)
    }

    /// The speed texts are said at: 0 slow, 1 normal, 2 fast.
    pub fn speed(&self) -> u8 {
        self.speed
    }

    /// Says on at `speed` (below [`SPEEDS`]; beyond it, the fastest): a reading goes on from
    /// the start of the sentence it was in, in that sentence's track at the new speed, and
    /// stays paused if it was.
    pub fn set_speed(&mut self, now: u64, volume: u8, speed: u8) {
        let speed = speed.min(SPEEDS - 1);
        if speed == self.speed {
            return;
        }
        self.pump_and_cut(now, volume);
        self.speed = speed;
        let Some(r) = self.reading else {
            return;
        };
        let Some(t) = self.track(r.track) else {
            return;
        };
        let sentence = self.sentence_in(&r, t);
        let said = t.said;
        let Some(i) = self.index_of(&said) else {
            return;
        };
        let from = sentence
            .and_then(|n| self.track(i)?.sentences.get(n))
            .map_or(0, |s| s.from);
        self.seek(i, from);
        if let Some(n) = &mut self.reading {
            n.paused = r.paused;
            n.single = r.single;
        }
    }

    /// Plays track `i` from its sample `pos` (the part's rate).
    fn seek(&mut self, i: usize, pos: u32) {
        let Some(speech) = &self.speech else {
            return;
        };
        let Some(t) = speech.tracks.get(i) else {
            return;
        };
        let ratio = u64::from(OUT_RATE / speech.rate.max(1));
        let frame = usize::from(speech.frame.max(1));
        let raw = pos as usize + usize::from(speech.pre_skip);
        let first = (raw / frame).saturating_sub(PRE_ROLL_PACKETS);
        let mut packets = t.packets();
        for _ in 0..first {
            packets.next();
        }
        if let Some(d) = &mut self.decoder {
            let _ = d.reset_state();
        }
        self.packets = Some(packets);
        self.at = 0;
        self.len = 0;
        self.skip = (raw - first * frame) as u64 * ratio;
        let pos = pos.min(t.samples);
        self.reading = Some(Reading {
            track: i,
            left: u64::from(t.samples - pos) * ratio,
            done: u64::from(pos) * ratio,
            paused: false,
            single: false,
        });
    }

    /// Reads block `block` of an edition from the sentence that holds its byte `offset` (the
    /// top of the shown page), on through the edition's end.
    pub fn read_from(
        &mut self,
        now: u64,
        volume: u8,
        doc: u16,
        lang: Lang,
        block: u16,
        offset: u32,
    ) {
        self.pump_and_cut(now, volume);
        let Some(i) = self.index_of(&Said::Block { doc, lang, block }) else {
            return;
        };
        let from = self.track(i).map_or(0, |t| {
            t.sentences
                .iter()
                .rev()
                .find(|s| s.start <= offset)
                .or(t.sentences.first())
                .map_or(0, |s| s.from)
        });
        self.seek(i, from);
    }

    /// Says each of `all` in turn (at most `1 + THEN`), at the visitor's speed, cutting what
    /// was being said.
    pub fn say_all(&mut self, now: u64, volume: u8, all: &[Said<'_>]) {
        let Some((first, rest)) = all.split_first() else {
            return;
        };
        if self.say(now, volume, first) {
            let then: [Option<usize>; THEN] =
                core::array::from_fn(|i| rest.get(i).and_then(|s| self.index_of(s)));
            self.then = then;
        }
    }

    /// Says `said` alone (a control's label, a screen's help), cutting what was being said.
    /// Returns whether the part has it.
    pub fn say(&mut self, now: u64, volume: u8, said: &Said<'_>) -> bool {
        self.then = [None; THEN];
        self.pump_and_cut(now, volume);
        match self.index_of(said) {
            Some(i) => {
                self.seek(i, 0);
                if let Some(r) = &mut self.reading {
                    r.single = true;
                }
                true
            }
            None => false,
        }
    }

    /// Pauses, or goes on where it paused.
    pub fn pause_or_resume(&mut self, now: u64, volume: u8) {
        self.pump(now, volume);
        if let Some(r) = &mut self.reading {
            // A pause lets the card's lead (100 ms) play out, so no syllable is lost.
            r.paused = !r.paused;
        }
    }

    /// Renders up to now, and drops what was queued ahead of it if the voice was speaking:
    /// what comes next replaces it (a new reading, a skip, a label).
    fn pump_and_cut(&mut self, now: u64, volume: u8) {
        self.pump(now, volume);
        if self.reading.is_some() {
            self.cut();
        }
    }

    /// Drops what the sink queued ahead of the clock (a card's lead): it is not heard.
    fn cut(&mut self) {
        if let Some(s) = &mut self.sink {
            if s.lead_ms() > 0 {
                s.cut();
                // The lead is rendered again from now on.
                self.pumped_ms = self.pumped_ms.map(|t| t.saturating_sub(s.lead_ms()));
            }
        }
    }

    /// The next (`by` 1) or previous (−1) sentence of the reading; from the first sentence of
    /// a block, back goes to the previous block's last.
    pub fn skip_sentence(&mut self, now: u64, volume: u8, by: i32) {
        self.pump_and_cut(now, volume);
        let Some(r) = self.reading else {
            return;
        };
        let Some(t) = self.track(r.track) else {
            return;
        };
        let cur = self.sentence_in(&r, t).unwrap_or(0);
        let target = cur as i64 + i64::from(by);
        if target >= 0 && (target as usize) < t.sentences.len() {
            let from = t.sentences[target as usize].from;
            self.seek(r.track, from);
        } else if by > 0 {
            self.next_track();
        } else if let Said::Block { doc, lang, block } = t.said {
            let prev = block.checked_sub(1).and_then(|b| {
                self.index_of(&Said::Block {
                    doc,
                    lang,
                    block: b,
                })
            });
            match prev {
                Some(i) => {
                    let from = self
                        .track(i)
                        .and_then(|t| t.sentences.last())
                        .map_or(0, |s| s.from);
                    self.seek(i, from);
                }
                None => self.seek(r.track, 0),
            }
        }
    }

    /// The start of the next (`by` 1) or previous (−1) paragraph (block) of the reading: what
    /// a held Down or Up does. Back from the first block starts it again; on from the last
    /// ends the reading.
    pub fn skip_paragraph(&mut self, now: u64, volume: u8, by: i32) {
        self.pump_and_cut(now, volume);
        let Some(r) = self.reading else {
            return;
        };
        let Some(Said::Block { doc, lang, block }) = self.track(r.track).map(|t| t.said) else {
            return;
        };
        let to = if by > 0 {
            block.checked_add(1)
        } else {
            block.checked_sub(1)
        };
        let next = to.and_then(|b| {
            self.index_of(&Said::Block {
                doc,
                lang,
                block: b,
            })
        });
        match (next, by > 0) {
            (Some(i), _) => self.seek(i, 0),
            (None, true) => self.reading = None,
            (None, false) => self.seek(r.track, 0),
        }
    }

    /// Stops speaking at `now`.
    pub fn stop(&mut self, now: u64, volume: u8) {
        self.then = [None; THEN];
        self.pump(now, volume);
        if self.reading.is_some() {
            self.cut();
        }
        self.reading = None;
        self.packets = None;
        self.at = 0;
        self.len = 0;
    }
}
