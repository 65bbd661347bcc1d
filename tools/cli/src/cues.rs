//! `bitig cues SOURCE`: a first draft of the cue file for a narrator's recording beside a
//! statement source (`X.kk.flac`, `.ogg` or `.wav` beside `X.kk.md`), one cue per sentence,
//! each boundary in a pause of the recording (`bitig_speech::cues`). The editor listens
//! through it, mends what needs it, and `bitig build` speaks the edition with the recording.

use anyhow::{bail, Context, Result};
use bitig_speech::cues::{draft, guesses, pauses, vtt};
use bitig_speech::recording::{load_audio, AUDIO};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct CuesArgs {
    /// The statement source the recording reads (X.kk.md); the recording is beside it.
    pub source: PathBuf,
    /// The assets folder (the voice's lexicons, the UI strings).
    #[arg(long, default_value = "assets")]
    pub assets: PathBuf,
    /// Replace the cue file if there is one (its times are lost).
    #[arg(long)]
    pub force: bool,
}

pub fn run(a: CuesArgs) -> Result<()> {
    let vtt_path = a.source.with_extension("vtt");
    let Some(audio) = AUDIO
        .iter()
        .map(|e| a.source.with_extension(e))
        .find(|p| p.is_file())
    else {
        bail!(
            "{}: no recording beside it: put the narrator's reading there as {} (or .ogg, .wav)",
            a.source.display(),
            a.source.with_extension("flac").display()
        );
    };
    if vtt_path.exists() && !a.force {
        bail!(
            "{} exists: --force replaces it with a new draft (its times are lost)",
            vtt_path.display()
        );
    }
    let mut inputs = bitig_typeset::Inputs::new(&a.assets);
    inputs.statements = vec![a.source.clone()];
    let sources = bitig_typeset::load_sources(&inputs).map_err(crate::report)?;
    let st = sources
        .statements
        .first()
        .with_context(|| format!("{}: not a statement source", a.source.display()))?;
    let speaker =
        bitig_speech::Speaker::new(&a.assets.join("speech"), Some(crate::speak::cache_dir()))?;
    let ui = sources
        .ui
        .iter()
        .find(|u| u.lang == st.lang)
        .with_context(|| format!("no UI strings in {} for the byline", st.lang.tag()))?;
    // The title and the byline first, as the reader shows them.
    let blocks: Vec<(String, u32)> = bitig_typeset::build::edition_blocks(st, ui)
        .into_iter()
        .map(|(kind, text)| (text, crate::speak::pause_after(kind)))
        .collect();
    let (sentences, guess) = guesses(&speaker, st.lang, &blocks)?;
    let pcm = load_audio(&audio)?;
    let (speech, found) = pauses(&pcm);
    let Some(speech) = speech else {
        bail!("{}: the recording is silent", audio.display());
    };
    let d = draft(&sentences, speech, &found, &guess);
    bitig_io::durable::write(&vtt_path, vtt(&d.cues).as_bytes())
        .with_context(|| format!("cannot write {}", vtt_path.display()))?;
    println!(
        "wrote {}: {} cues for {}, {} pauses found in {:.1} s of speech",
        vtt_path.display(),
        d.cues.len(),
        audio.display(),
        d.pauses,
        (speech.1 - speech.0) as f64 / 1000.0
    );
    if d.pauses < sentences.len().saturating_sub(1) {
        println!(
            "warning: fewer pauses than boundaries between sentences: the times are the voice's, scaled to the recording; mend each cue"
        );
    } else {
        println!(
            "each boundary is in a pause; the furthest is {} ms from where the voice would put it",
            d.furthest_ms
        );
    }
    println!("listen through it in a subtitle editor, mend what needs it, then run bitig build");
    Ok(())
}
