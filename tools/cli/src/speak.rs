//! `bitig speak`: what the kiosk's voice says for a block, a UI string or any text, as a WAV
//! for an editor to listen to, with its timing index; `--spelled` lists the words espeak-ng
//! would spell out letter by letter. `bitig check` lists those too.

use anyhow::{bail, Context, Result};
use bitig_format::Lang;
use bitig_speech::{Speaker, Spoken};
use bitig_typeset::Sources;
use std::path::{Path, PathBuf};

#[derive(clap::Args, Debug)]
pub struct SpeakArgs {
    #[command(flatten)]
    pub src: crate::SourceArgs,
    /// The language: kk, tr or en.
    #[arg(long)]
    pub lang: String,
    /// A statement's id (e.g. jspg-8-2026): its edition in LANG, every block or --block N.
    #[arg(long, conflicts_with_all = ["ui", "text"])]
    pub statement: Option<String>,
    /// Only this block of the statement (0 is the title, as `bitig inspect --pages` counts).
    #[arg(long, requires = "statement")]
    pub block: Option<usize>,
    /// A UI string's key (e.g. attract.touch), in LANG.
    #[arg(long, conflicts_with = "text")]
    pub ui: Option<String>,
    /// Any text, in LANG.
    #[arg(long)]
    pub text: Option<String>,
    /// slow, normal or fast.
    #[arg(long, default_value = "normal")]
    pub speed: String,
    /// The WAV to write (mono, 16-bit, 22,050 Hz).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// List the words espeak-ng would spell out letter by letter, instead of speaking.
    #[arg(long)]
    pub spelled: bool,
}

/// Where spoken sentences are cached (by the hash of what is said): `BITIG_SPEECH_CACHE`,
/// or target/bitig/speech-cache.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("BITIG_SPEECH_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("target/bitig/speech-cache"))
}

fn lang_of(tag: &str) -> Result<Lang> {
    Lang::from_tag(tag).with_context(|| format!("--lang {tag}: write kk, tr or en"))
}

pub use bitig_speech::part::pause_after;

/// The texts chosen by the arguments, with the pause after each.
fn texts(a: &SpeakArgs, sources: &Sources, lang: Lang) -> Result<Vec<(String, u32)>> {
    if let Some(t) = &a.text {
        return Ok(vec![(t.clone(), bitig_speech::PARAGRAPH_PAUSE_MS)]);
    }
    if let Some(key) = &a.ui {
        let ui = sources
            .ui
            .iter()
            .find(|u| u.lang == lang)
            .context("no UI strings in that language")?;
        let (value, _) = ui
            .strings
            .get(key)
            .with_context(|| format!("{}: no UI string `{key}`", ui.path.display()))?;
        return Ok(vec![(value.clone(), bitig_speech::PARAGRAPH_PAUSE_MS)]);
    }
    let Some(id) = &a.statement else {
        bail!("say what to speak: --statement ID [--block N], --ui KEY or --text TEXT");
    };
    let st = sources
        .statements
        .iter()
        .find(|s| &s.id == id && s.lang == lang)
        .with_context(|| format!("no statement {id} in {}", lang.tag()))?;
    let ui = sources
        .ui
        .iter()
        .find(|u| u.lang == lang)
        .context("no UI strings in that language")?;
    // The title and the byline first, as the bundle numbers its blocks.
    let all = bitig_typeset::build::edition_blocks(st, ui);
    let blocks: Vec<_> = match a.block {
        Some(n) => vec![all.get(n).cloned().with_context(|| {
            format!(
                "{}: block {n} does not exist (it has {}, the title and the byline first)",
                st.path.display(),
                all.len()
            )
        })?],
        None => all,
    };
    Ok(blocks
        .into_iter()
        .map(|(kind, text)| (text, pause_after(kind)))
        .collect())
}

pub fn run(a: SpeakArgs) -> Result<()> {
    let lang = lang_of(&a.lang)?;
    let wpm = match a.speed.as_str() {
        "slow" => bitig_speech::WPM[0],
        "normal" => bitig_speech::WPM[1],
        "fast" => bitig_speech::WPM[2],
        s => bail!("--speed {s}: write slow, normal or fast"),
    };
    let inputs = a.src.inputs();
    let sources = bitig_typeset::load_sources(&inputs).map_err(crate::report)?;
    let speaker = Speaker::new(&inputs.assets.join("speech"), Some(cache_dir()))?;
    let texts = texts(&a, &sources, lang)?;
    if a.spelled {
        let all: String = texts
            .iter()
            .map(|t| t.0.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        for w in speaker.spelled(lang, &all)? {
            println!("{w}");
        }
        return Ok(());
    }
    let Some(out) = &a.out else {
        bail!("--out FILE.wav: where to write the speech");
    };
    let mut all = Spoken {
        rate: bitig_speech::espeak::RATE,
        pcm: Vec::new(),
        sentences: Vec::new(),
    };
    for (i, (text, pause)) in texts.iter().enumerate() {
        let s = speaker.speak(text, lang, wpm, *pause)?;
        let base = all.pcm.len() as u32;
        for sent in &s.sentences {
            let (t0, t1) = (
                f64::from(base + sent.samples.start),
                f64::from(base + sent.samples.end),
            );
            println!(
                "{i:>3}.{:<2} {:>8.2} {:>8.2} s  {}",
                all.sentences.len(),
                t0 / f64::from(s.rate),
                t1 / f64::from(s.rate),
                &text[sent.text.clone()]
            );
            all.sentences.push(sent.clone());
        }
        all.pcm.extend_from_slice(&s.pcm);
    }
    bitig_io::durable::write(out, &bitig_speech::wav_bytes(&all.pcm, all.rate))
        .with_context(|| format!("cannot write {}", out.display()))?;
    eprintln!(
        "wrote {}: {:.1} s, {} sentence(s) ({} synthesized, {} from the cache in {})",
        out.display(),
        all.pcm.len() as f64 / f64::from(all.rate),
        all.sentences.len(),
        speaker.synthesized.get(),
        speaker.cached.get(),
        cache_dir().display()
    );
    Ok(())
}

/// For `bitig check`: per edition, the words espeak-ng would spell out, each with the place
/// of its first use. Only candidates are asked (two capitals or more, or no vowel letter).
pub fn spelled_report(sources: &Sources, assets: &Path) -> Result<Vec<String>> {
    let speaker = Speaker::new(&assets.join("speech"), None)?;
    let mut out = Vec::new();
    for st in &sources.statements {
        let mut candidates: Vec<(String, usize)> = Vec::new();
        for b in &st.blocks {
            let mut at = 0;
            for w in b.text.split(|c: char| !c.is_alphanumeric()) {
                let start = b.text[at..].find(w).map_or(at, |p| at + p);
                at = start + w.len();
                let caps = w.chars().filter(|c| c.is_uppercase()).count();
                let vowel = w
                    .chars()
                    .any(|c| "aeiouyıöüаәеёиоөуұүыіэюяAEIOUYIÖÜАӘЕЁИОӨУҰҮЫІЭЮЯ".contains(c));
                if w.chars().count() >= 2
                    && (caps >= 2 || !vowel)
                    && w.chars().any(char::is_alphabetic)
                    && !candidates.iter().any(|c| c.0 == w)
                {
                    candidates.push((w.to_string(), b.file_offset(start)));
                }
            }
        }
        let words: String = candidates
            .iter()
            .map(|c| c.0.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let spelled = speaker.spelled(st.lang, &words)?;
        for (w, offset) in candidates.iter().filter(|c| spelled.contains(&c.0)) {
            let line = st.text[..(*offset).min(st.text.len())]
                .matches('\n')
                .count()
                + 1;
            out.push(format!(
                "{}:{line}: `{w}` is spelled out letter by letter by the voice; if it should be said as a word or by its full name, add it to assets/speech/{}.toml",
                st.path.display(),
                st.lang.tag()
            ));
        }
    }
    Ok(out)
}
