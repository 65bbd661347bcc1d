//! `bitig`: the host CLI. Exit codes: 0 ok, 1 content errors, 2 usage or I/O.

use anyhow::{Context, Result};
use bitig_format::{line_text, Bundle, Header, Line, Strike};
use bitig_typeset::build::overflowing_lines;
use bitig_typeset::hyph::Hyphenator;
use bitig_typeset::shape::{Fonts, ShapeContext};
use bitig_typeset::typography::{measure, space_ratio, Stats};
use bitig_typeset::{build_bundle, load_sources, Error as TsError, Inputs, ProfileSpec, Severity};
mod boot_test;
mod cues;
mod diff;
mod flash;
mod image;
mod keys;
mod progress;
mod report;
mod speak;
mod watch;

use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "bitig",
    version,
    about = "Build, check, inspect and proof Bitig kiosk bundles"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(clap::Args, Debug, Clone)]
pub struct SourceArgs {
    /// The assets folder (fonts, profiles, ui, hyphenation).
    #[arg(long, default_value = "assets")]
    assets: PathBuf,
    /// Statement folder or file; repeatable. Default: ASSETS/statements.
    #[arg(long = "statements")]
    statements: Vec<PathBuf>,
    /// Treat lints as errors.
    #[arg(long)]
    strict: bool,
    /// No statements, only the UI strings: the kiosk's built-in fallback for its maintenance
    /// screen (firmware/kiosk/fallback.bundle), and beside it the speech part that says that
    /// screen's message (fallback.speech).
    #[arg(long, conflicts_with = "statements")]
    fallback: bool,
}

impl SourceArgs {
    pub fn inputs(&self) -> Inputs {
        let mut i = Inputs::new(&self.assets);
        if !self.statements.is_empty() {
            i.statements = self.statements.clone();
        }
        i.strict = self.strict;
        if self.fallback {
            i.statements.clear();
        }
        i
    }
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Typeset the statements and write one bundle per display profile.
    Build(BuildArgs),
    /// The editor's live preview: build one profile's bundle, then rebuild it on every save
    /// (only the editions that changed). `scripts/simulator --watch` shows each new bundle in
    /// place; a source with an error keeps the last good bundle and shows the error as a
    /// banner.
    Watch(watch::WatchArgs),
    /// Validate the sources and print diagnostics, without writing anything.
    Check {
        #[command(flatten)]
        src: SourceArgs,
    },
    /// Speak a statement's block, a UI string or any text to a WAV as the kiosk's voice will
    /// (espeak-ng, the lexicons in ASSETS/speech), printing each sentence's time; --spelled
    /// lists the words the voice would spell out letter by letter.
    Speak(speak::SpeakArgs),
    /// Draft the cue file for a narrator's recording beside a statement source (X.kk.flac,
    /// .ogg or .wav beside X.kk.md): one cue per sentence, each boundary in a pause of the
    /// recording. Listen through it and mend it, then `bitig build` speaks that edition with
    /// the recording
    Cues(cues::CuesArgs),
    /// Summarize a bundle; --pages dumps page text, --glyphs glyph ids, clusters, advances
    /// and each line's inter-word space; --typography the typographic measurements of every
    /// edition and layout (hyphens, runs, one-fragment lines, widows, orphans, names, URLs,
    /// straight quotes, inter-word space).
    Inspect(InspectArgs),
    /// Set the body paragraphs with LuaTeX too (same font, size, measure, plain TeX's
    /// parameters) and print Bitig's and TeX's counts in one table (needs texlive-luatex).
    CompareTex(CompareTexArgs),
    /// Write a PNG contact sheet of every page (per edition and size) into DIR.
    Proof {
        bundle: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// What a content update changes: for each statement, edition and text size, the pages
    /// whose text or glyphs changed and the blocks whose text changed (a word diff). With
    /// --out, a PNG of each changed page, old beside new, changed lines marked. Exit status 0
    /// when equal, 1 when they differ, 2 on error, like diff.
    Diff {
        old: PathBuf,
        new: PathBuf,
        /// Where the side-by-side PNGs go.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The visitor statistics the kiosks export to USB sticks.
    Stats {
        #[command(subcommand)]
        cmd: StatsCmd,
    },
    /// Make an Ed25519 key pair for signing bundles: NAME.secret (0600) and NAME.public.
    Keygen {
        /// Path and name of the pair, e.g. keys/exhibition-2026.
        name: PathBuf,
    },
    /// Sign a bundle (a new signature replaces an old one); kiosks with the public key in
    /// their trusted_keys accept it from a USB stick.
    Sign {
        bundle: PathBuf,
        /// The secret key file (from `bitig keygen`).
        #[arg(long)]
        key: PathBuf,
        /// Output file; default: sign BUNDLE in place (atomically).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Check a signed bundle against public keys, and the bundle itself.
    Verify {
        bundle: PathBuf,
        /// A trusted public key file; repeatable.
        #[arg(long = "key", required = true)]
        keys: Vec<PathBuf>,
    },
    /// Make a kiosk SD-card image from a Raspberry Pi OS Lite image, without root or mounts.
    /// The base is never modified; every written file is read back.
    Image(ImageArgs),
    /// Boot a `bitig image --debian` image in qemu-system-aarch64 (virtio-gpu, virtio tablet):
    /// wait for the kiosk's first frame, compare a screendump with the headless screenshots,
    /// send a touch and check that the screen changes.
    BootTest(BootTestArgs),
    /// Write a kiosk image to an SD card (or a file), fsync, read it back and compare hashes.
    /// Refuses mounted disks, the running system's disk, partitions and non-removable disks.
    Flash {
        image: PathBuf,
        /// The whole card, e.g. /dev/sdb or /dev/mmcblk0, or a regular file.
        target: PathBuf,
        /// Do not ask for confirmation (for scripts).
        #[arg(long)]
        yes: bool,
        /// Allow a disk that does not say it is removable (some USB readers, loop devices).
        #[arg(long)]
        force: bool,
        /// Run every check, write nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Subcommand, Debug)]
enum StatsCmd {
    /// Merge the exports of any number of kiosks (bitig-stats-<kiosk_id>-<n>.csv; a kiosk's
    /// repeated exports count once) into DIR/report.html (inline SVG charts; opens offline),
    /// each chart as DIR/<chart>.png and .svg, and DIR/summary.csv. A bad line stops it with
    /// file:line:column.
    Report {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(clap::Args, Debug)]
struct InspectArgs {
    bundle: PathBuf,
    #[arg(long)]
    pages: bool,
    #[arg(long)]
    glyphs: bool,
    #[arg(long)]
    typography: bool,
    /// The assets folder (fonts and hyphenation lists, for --typography and --glyphs).
    #[arg(long, default_value = "assets")]
    assets: PathBuf,
    /// Only this document id.
    #[arg(long)]
    doc: Option<String>,
}

#[derive(clap::Args, Debug)]
struct BootTestArgs {
    image: PathBuf,
    /// Headless screenshots to compare with: SHOTS/attract-*.png and SHOTS/language.png.
    #[arg(long, default_value = "docs/screenshots/pi-touch-800x480")]
    shots: PathBuf,
    /// Where the screendumps (boot-attract.png, boot-after-touch.png) go.
    #[arg(long, default_value = "target/bitig/boot-test")]
    out: PathBuf,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 900)]
    timeout: u64,
    /// A signed bundle the image trusts (`bitig image --public-key`): it is put on an
    /// emulated USB stick, and must be installed and shown after the kiosk restarts.
    #[arg(long)]
    update: Option<PathBuf>,
    /// After the update, tap these screen points from the attract screen ("X,Y X,Y ...")
    /// and require the screen to equal this headless screenshot of the update's content.
    #[arg(long, requires = "update", value_names = ["TAPS", "PNG"], num_args = 2)]
    updated_screen: Option<Vec<String>>,
    /// After the power cut, plug a USB keyboard into the running kiosk and press these keys:
    /// a file of `QEMU_KEY [GOLDEN.png]` lines (the golden, a headless screenshot beside the
    /// file, is what the screen must equal after that key).
    #[arg(long)]
    keys: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
struct BuildArgs {
    #[command(flatten)]
    src: SourceArgs,
    /// Only this profile (name or path); default: every profile in ASSETS/profiles.
    #[arg(long)]
    profile: Option<String>,
    /// Output file (only with one profile); default: target/bitig/PROFILE.bundle. The speech
    /// part goes beside it, as PROFILE.speech.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Do not make the speech part (it needs espeak-ng; scripts/setup-debian.sh installs it).
    #[arg(long)]
    no_speech: bool,
}

#[derive(clap::Args, Debug)]
struct CompareTexArgs {
    #[command(flatten)]
    src: SourceArgs,
    /// Only this profile (name or path); default: every profile in ASSETS/profiles.
    #[arg(long)]
    profile: Option<String>,
    /// Where LuaTeX runs (its .tex, .lua and .log stay there).
    #[arg(long, default_value = "target/bitig/tex")]
    work: PathBuf,
    /// Also set Bitig's side with the alternative settings of docs/typography.md's
    /// trade-off table and print hyphen share and looseness for each.
    #[arg(long)]
    tradeoff: bool,
}

#[derive(clap::Args, Debug)]
struct ImageArgs {
    /// The Raspberry Pi OS Lite image (.img, uncompressed) to start from.
    #[arg(long, required_unless_present = "debian", conflicts_with = "debian")]
    base: Option<PathBuf>,
    /// Build a complete arm64 image from Debian's archive instead (mmdebstrap, qemu-user,
    /// linux-image-arm64, raspi-firmware): read-only root, writable data partition.
    #[arg(long)]
    debian: bool,
    /// Debian mirror for --debian.
    #[arg(long, default_value = "http://deb.debian.org/debian")]
    mirror: String,
    /// Work directory for --debian (the root filesystem tree).
    #[arg(long, default_value = "target/bitig/debian-work")]
    work: PathBuf,
    /// The kiosk image to write (atomically).
    #[arg(long)]
    out: PathBuf,
    /// The cross-built kiosk binary.
    #[arg(
        long,
        default_value = "target/aarch64-unknown-linux-gnu/release/bitig-kiosk"
    )]
    kiosk: PathBuf,
    /// Display profile of the panel.
    #[arg(long, default_value = "pi-touch-800x480")]
    profile: String,
    /// The bundle; default: target/bitig/PROFILE.bundle.
    #[arg(long)]
    bundle: Option<PathBuf>,
    /// Panel rotation in degrees clockwise (0, 90, 180, 270).
    #[arg(long, default_value_t = 0, value_parser = parse_rotation)]
    rotation: u16,
    /// A kiosk.toml to install instead of the generated one (it must set pin_salt and
    /// pin_blake3: the default PIN is refused).
    #[arg(long, conflicts_with = "pin")]
    config: Option<PathBuf>,
    /// The operator PIN, 4 to 8 digits (not 1234). Default: a random 6-digit PIN, printed
    /// once. The image stores it only as a hash with a random salt of its own.
    #[arg(long)]
    pin: Option<String>,
    /// A public key file (from `bitig keygen`) the kiosk trusts for USB updates; repeatable.
    /// With keys, the bundle must be signed by one of them.
    #[arg(long = "public-key")]
    public_keys: Vec<PathBuf>,
}

/// "X,Y X,Y ..." screen points.
fn parse_taps(s: &str) -> Result<Vec<(u32, u32)>> {
    s.split_whitespace()
        .map(|p| {
            let (x, y) = p
                .split_once(',')
                .with_context(|| format!("--updated-screen: {p:?} is not X,Y"))?;
            Ok((
                x.parse()
                    .with_context(|| format!("--updated-screen: {p:?}: x"))?,
                y.parse()
                    .with_context(|| format!("--updated-screen: {p:?}: y"))?,
            ))
        })
        .collect()
}

fn parse_rotation(s: &str) -> Result<u16, String> {
    match s {
        "0" | "90" | "180" | "270" => s.parse().map_err(|e| format!("{e}")),
        _ => Err("the rotation is 0, 90, 180 or 270 (degrees clockwise)".into()),
    }
}

/// An error that maps to exit code 1 (content) rather than 2.
#[derive(Debug)]
struct ContentFailure;
impl std::fmt::Display for ContentFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "content errors")
    }
}
impl std::error::Error for ContentFailure {}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    if let Cmd::Diff { old, new, out } = &cli.cmd {
        // diff's own exit codes: 0 equal, 1 different, 2 trouble.
        return match bundle_diff(old, new, out.as_deref()) {
            Ok(true) => ExitCode::SUCCESS,
            Ok(false) => ExitCode::from(1),
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::from(2)
            }
        };
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if e.downcast_ref::<ContentFailure>().is_some() {
                ExitCode::from(1)
            } else {
                eprintln!("error: {e:#}");
                let content = e.downcast_ref::<TsError>().is_some_and(TsError::is_content)
                    || e.chain().any(|c| {
                        c.downcast_ref::<bitig_format::FormatError>().is_some()
                            || c.downcast_ref::<bitig_format::signature::SigError>()
                                .is_some()
                    });
                ExitCode::from(if content { 1 } else { 2 })
            }
        }
    }
}

/// Prints diagnostics; returns ContentFailure if any is an error.
pub fn report(e: TsError) -> anyhow::Error {
    match e {
        TsError::Content { count, diagnostics } => {
            for d in &diagnostics {
                eprintln!("{d}\n");
            }
            let warnings = diagnostics
                .iter()
                .filter(|d| d.severity == Severity::Warning)
                .count();
            eprintln!("error: {count} error(s), {warnings} warning(s); nothing was written");
            anyhow::Error::new(ContentFailure)
        }
        other => anyhow::Error::new(other),
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.cmd {
        Cmd::Keygen { name } => keygen(name),
        Cmd::Sign { bundle, key, out } => sign(bundle, key, out),
        Cmd::Verify { bundle, keys: k } => verify(bundle, k),
        Cmd::BootTest(a) => boot_test(a),
        Cmd::Image(a) => image(a),
        Cmd::Flash {
            image,
            target,
            yes,
            force,
            dry_run,
        } => flash(image, target, yes, force, dry_run),
        Cmd::Check { src } => check(src),
        Cmd::Speak(a) => speak::run(a),
        Cmd::Cues(a) => cues::run(a),
        Cmd::Build(a) => build(a),
        Cmd::Watch(a) => watch::run(a),
        Cmd::Inspect(a) => inspect_command(a),
        Cmd::CompareTex(a) => compare_tex(a),
        Cmd::Proof { bundle, out } => proof(bundle, out),
        Cmd::Diff { .. } => unreachable!("handled in main"),
        Cmd::Stats {
            cmd: StatsCmd::Report { files, out },
        } => stats_report(&files, &out),
    }
}

/// `bitig stats report`: merges, writes the report, and prints the totals.
fn stats_report(files: &[PathBuf], out: &Path) -> Result<()> {
    let mut bar = progress::Progress::new(files.len() as u64, "reading", progress::Unit::Files);
    let merged = report::merge(files, &mut |_| bar.add(1))?;
    let written = report::write_report(&merged, out)?;
    let t = merged.tables();
    println!(
        "{} kiosks, {} exports: {} sessions, {} statements opened, {} pages, {} jumps",
        merged.kiosks.len(),
        files.len(),
        t.totals.sessions,
        t.totals.opened,
        t.totals.pages,
        t.totals.jumps
    );
    for (id, k) in &merged.kiosks {
        let kt = k.totals();
        println!(
            "  {id}: {} sessions, {} opened, {} pages, {} jumps ({} exports, {} repeated rows counted once)",
            kt.sessions,
            kt.opened,
            kt.pages,
            kt.jumps,
            k.files.len(),
            k.repeated_rows
        );
    }
    if let (Some(first), Some(last)) = (t.per_day.first(), t.per_day.last()) {
        let busiest = t.per_hour.iter().max_by_key(|h| h.1);
        println!(
            "  days {} to {}; busiest hour {}",
            first.0,
            last.0,
            busiest.map_or(String::new(), |h| format!("{} UTC ({} sessions)", h.0, h.1))
        );
    }
    if t.underruns > 0 {
        println!(
            "  the voice's sound card ran dry {} times (underruns: stutters a visitor heard; see the kiosks' journals)",
            t.underruns
        );
    }
    if t.unplaced_sessions > 0 {
        println!(
            "  {} sessions were counted while a kiosk's clock was not set: in the totals, not in the charts by time",
            t.unplaced_sessions
        );
    }
    println!(
        "wrote {} files to {} (open {})",
        written.len(),
        out.display(),
        out.join("report.html").display()
    );
    Ok(())
}

/// `bitig diff`: prints the changes; true when the bundles' content is equal.
fn bundle_diff(old: &Path, new: &Path, out: Option<&Path>) -> Result<bool> {
    let (ob, nb) = (diff::read(old)?, diff::read(new)?);
    let o = Bundle::from_bundle_bytes(&ob)
        .with_context(|| format!("{}: not a valid bundle", old.display()))?;
    let n = Bundle::from_bundle_bytes(&nb)
        .with_context(|| format!("{}: not a valid bundle", new.display()))?;
    anyhow::ensure!(
        o.profile.name == n.profile.name,
        "{} is for the profile {} and {} for {}: compare bundles of one profile",
        old.display(),
        o.profile.name,
        new.display(),
        n.profile.name
    );
    let changes = diff::compare(&o, &n);
    print!("{}", diff::report(&changes));
    if let Some(dir) = out {
        let files = diff::write_pages(&o, &n, &changes, dir)?;
        println!(
            "wrote {} side-by-side page(s) into {}",
            files.len(),
            dir.display()
        );
    }
    Ok(changes.is_empty())
}

fn keygen(name: PathBuf) -> Result<()> {
    let (secret, public, key) = keys::keygen(&name)?;
    println!(
        "wrote {} (keep it secret) and {}\nkey id {}\ntrusted_keys entry: \"{}\"",
        secret.display(),
        public.display(),
        bitig_format::hex::to_hex(&bitig_format::signature::key_id(&key)),
        bitig_format::hex::to_hex(&key)
    );
    Ok(())
}

fn sign(bundle: PathBuf, key: PathBuf, out: Option<PathBuf>) -> Result<()> {
    let out = out.unwrap_or_else(|| bundle.clone());
    let id = keys::sign(&bundle, &key, &out)?;
    println!(
        "signed {} with key {}",
        out.display(),
        bitig_format::hex::to_hex(&id)
    );
    if bundle.with_extension("speech").exists() {
        println!(
            "signed {} (its speech part) with the same key",
            out.with_extension("speech").display()
        );
    }
    Ok(())
}

fn verify(bundle: PathBuf, k: Vec<PathBuf>) -> Result<()> {
    let id = keys::verify(&bundle, &k)?;
    println!(
        "ok: {} is signed by trusted key {}",
        bundle.display(),
        bitig_format::hex::to_hex(&id)
    );
    Ok(())
}

fn boot_test(a: BootTestArgs) -> Result<()> {
    let BootTestArgs {
        image,
        shots,
        out,
        timeout,
        update,
        updated_screen,
        keys,
    } = a;
    let keys = match &keys {
        Some(p) => boot_test::read_key_steps(p)?,
        None => Vec::new(),
    };
    let updated_screen = match updated_screen.as_deref() {
        Some([taps, png]) => Some((parse_taps(taps)?, PathBuf::from(png))),
        _ => None,
    };
    let attract = ["attract-kk.png", "attract-tr.png", "attract-en.png"]
        .iter()
        .map(|n| shots.join(n))
        .collect();
    let png = shots.join("language.png");
    let shot = bitig_io::png::read(&png)?;
    let (width, height) = (shot.width, shot.height);
    boot_test::run(&boot_test::Options {
        image,
        attract,
        after_touch: vec![png],
        out,
        timeout: std::time::Duration::from_secs(timeout),
        width,
        height,
        update,
        updated_screen,
        keys,
    })
}

fn image(a: ImageArgs) -> Result<()> {
    let ImageArgs {
        base,
        debian,
        mirror,
        work,
        out,
        kiosk,
        profile,
        bundle,
        rotation,
        config,
        pin,
        public_keys,
    } = a;
    let trusted = public_keys
        .iter()
        .map(|k| keys::read_key(k, keys::PUBLIC_TAG))
        .collect::<Result<Vec<_>>>()?;
    let bundle = bundle.unwrap_or_else(|| PathBuf::from(format!("target/bitig/{profile}.bundle")));
    anyhow::ensure!(
        bundle.exists(),
        "{} does not exist; run `bitig build --profile {profile}` first, or pass --bundle",
        bundle.display()
    );
    anyhow::ensure!(
        kiosk.exists(),
        "{} does not exist; build it with `scripts/cross-test aarch64` (or see README, Cross builds), or pass --kiosk",
        kiosk.display()
    );
    let (config, new_pin) = match config {
        Some(p) => {
            let text =
                std::fs::read_to_string(&p).with_context(|| format!("reading {}", p.display()))?;
            anyhow::ensure!(
                text.lines()
                    .any(|l| l.trim_start().starts_with("pin_blake3")),
                "{} sets no pin_blake3, so the kiosk's operator PIN would be the default 1234; \
                 add pin_salt and pin_blake3 (`bitig-kiosk --hash-pin PIN --pin-salt SALT`), \
                 or leave out --config and give --pin",
                p.display()
            );
            (text, None)
        }
        None => {
            let (pin, generated) = match pin {
                Some(p) => (image::check_pin(&p)?, false),
                None => (image::random_pin()?, true),
            };
            let salt = image::random_salt()?;
            let hash = bitig_format::pin::pin_hash(salt.as_bytes(), &pin);
            let config = image::default_config(&profile, rotation, &trusted, &salt, &hash);
            (config, generated.then_some(pin))
        }
    };
    let payload = image::Payload {
        kiosk,
        bundle,
        config,
        trusted,
    };
    match base {
        Some(base) if !debian => image::inject(&base, &out, &payload)?,
        _ => image::debian::build(&image::debian::Options {
            out: out.clone(),
            payload,
            work,
            mirror,
        })?,
    }
    println!("wrote {} (files read back; e2fsck clean)", out.display());
    if let Some(pin) = new_pin {
        println!(
            "operator PIN: {pin} (shown only now: write it down; the image keeps only a salted hash)"
        );
    }
    Ok(())
}

fn flash(image: PathBuf, target: PathBuf, yes: bool, force: bool, dry_run: bool) -> Result<()> {
    let opts = flash::Options {
        yes,
        force,
        dry_run,
        view: flash::SystemView::default(),
    };
    let r = flash::flash(&image, &target, &opts)?;
    if !dry_run {
        println!(
            "flashed and verified {} bytes to {} (blake3 {})",
            r.bytes,
            target.display(),
            r.hash.to_hex()
        );
    }
    Ok(())
}

fn check(src: SourceArgs) -> Result<()> {
    let inputs = src.inputs();
    let sources = load_sources(&inputs).map_err(report)?;
    for w in &sources.warnings {
        eprintln!("{w}\n");
    }
    // Narrators' recordings: their cue files, audio and times (their cues against the text
    // are checked by `bitig build`, which lays the text out).
    if !src.fallback {
        recordings(&sources)?;
    }
    // The voice: words espeak-ng would spell out (notes, not warnings: an initialism is
    // rightly spelled).
    match speak::spelled_report(&sources, &inputs.assets) {
        Ok(notes) => {
            for n in &notes {
                eprintln!("note: {n}");
            }
        }
        Err(e) => eprintln!("note: the voice's spelled-out words were not checked: {e:#}"),
    }
    println!(
        "ok: {} edition(s), {} warning(s)",
        sources.statements.len(),
        sources.warnings.len()
    );
    Ok(())
}

fn build(a: BuildArgs) -> Result<()> {
    let BuildArgs {
        src,
        profile,
        out,
        no_speech,
    } = a;
    let inputs = src.inputs();
    let sources = load_sources(&inputs).map_err(report)?;
    for w in &sources.warnings {
        eprintln!("{w}\n");
    }
    let mut profiles = inputs.profile_paths()?;
    if let Some(p) = &profile {
        let as_path = Path::new(p);
        profiles = if as_path.is_file() {
            vec![as_path.to_path_buf()]
        } else {
            profiles
                .into_iter()
                .filter(|x| x.file_stem().is_some_and(|s| s == p.as_str()))
                .collect()
        };
        anyhow::ensure!(
            !profiles.is_empty(),
            "no profile named {p} in {}",
            inputs.assets.join("profiles").display()
        );
    }
    anyhow::ensure!(
        out.is_none() || profiles.len() == 1,
        "--out needs exactly one --profile"
    );
    let total = sources.statements.len();
    // The fallback bundle is embedded in the kiosk for its maintenance screen, with a speech
    // part that says only that screen's messages (`fallback.speech`).
    let speaker = if no_speech {
        None
    } else {
        let s = bitig_speech::Speaker::new(&inputs.assets.join("speech"), Some(speak::cache_dir()))
            .context("cannot make the speech part (or build with --no-speech)")?;
        Some(s)
    };
    let mut voice = match &speaker {
        Some(s) => Some(bitig_speech::part::PartBuilder::new(s)?),
        None => None,
    };
    if let (Some(v), false) = (&mut voice, src.fallback) {
        v.set_recordings(recordings(&sources)?);
    }
    for path in &profiles {
        let name = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("profile")
            .to_string();
        let mut done = 0usize;
        let tty = std::io::stderr().is_terminal();
        let mut progress = |step: &str| {
            if !step.contains('[') {
                return;
            }
            done += 1;
            if tty {
                eprint!("\r  {name}: {done}/{total} editions typeset ({step})\x1b[K");
            } else {
                eprintln!("  {name}: {done}/{total} editions typeset ({step})");
            }
        };
        let bytes = build_bundle(&sources, path, &mut progress).map_err(report)?;
        if tty {
            eprintln!();
        }
        let target = out
            .clone()
            .unwrap_or_else(|| PathBuf::from("target/bitig").join(format!("{name}.bundle")));
        let bundle = Bundle::from_bundle_bytes(&bytes).context("the new bundle does not decode")?;
        let t0 = std::time::Instant::now();
        let part = speech_part(voice.as_mut(), &bundle, &bytes, src.fallback)?;
        bitig_io::durable::write(&target, &bytes)
            .with_context(|| format!("cannot write {}", target.display()))?;
        let pages: usize = bundle
            .documents
            .iter()
            .flat_map(|d| &d.editions)
            .flat_map(|e| &e.layouts)
            .map(|l| l.pages.len())
            .sum();
        // Independent re-checks of the written bundle (build_bundle refuses both).
        let (spec, _) = ProfileSpec::load(path)?;
        let shaper = ShapeContext::new(&sources.fonts);
        let overflowing = overflowing_lines(&bundle, &spec, &shaper).len();
        let missing = missing_glyphs(&bundle);
        println!(
            "wrote {} ({} bytes, id {}, {} pages, {} missing glyphs, {} overflowing lines)",
            target.display(),
            bytes.len(),
            bundle.meta.bundle_id,
            pages,
            missing,
            overflowing
        );
        if let (Some(voice), Some(part)) = (&voice, part) {
            write_speech(&target, &part, voice.seconds, src.fallback, t0)?;
        }
    }
    Ok(())
}

/// Writes the speech part `part` beside the bundle `target` and says what it holds:
/// `seconds` of speech at the normal speed, made since `t0` (the fallback's at that speed
/// only).
fn write_speech(
    target: &Path,
    part: &[u8],
    seconds: f64,
    fallback: bool,
    t0: std::time::Instant,
) -> Result<()> {
    let speech = target.with_extension("speech");
    bitig_io::durable::write(&speech, part)
        .with_context(|| format!("cannot write {}", speech.display()))?;
    let speeds = if fallback {
        1
    } else {
        bitig_format::speech::SPEEDS
    };
    println!(
        "wrote {} ({} bytes, {:.1} min of speech at the normal speed, each text at {} speed(s), {:.1} s)",
        speech.display(),
        part.len(),
        seconds / 60.0,
        speeds,
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The speech part of `bundle` (whose bytes are `bytes`), made before anything is written: a
/// recording whose cues do not fit the text stops the build with no bundle written beside an
/// old speech part. The fallback bundle's part says only its maintenance screen.
fn speech_part(
    voice: Option<&mut bitig_speech::part::PartBuilder<'_>>,
    bundle: &Bundle<'_>,
    bytes: &[u8],
    fallback: bool,
) -> Result<Option<Vec<u8>>> {
    let Some(v) = voice else {
        return Ok(None);
    };
    let hash = bitig_format::Header::from_bundle_bytes(bytes)?.hash;
    let made = if fallback {
        v.fallback_part(bundle, hash)
    } else {
        v.part(bundle, hash)
    };
    match made {
        Ok(p) => Ok(Some(p)),
        Err(bitig_speech::part::PartError::Recording(e)) => {
            eprintln!("error: {e}");
            eprintln!("error: nothing was written");
            Err(anyhow::Error::new(ContentFailure))
        }
        Err(e) => Err(e.into()),
    }
}

/// The narrators' recordings beside the sources (`bitig_speech::recording`), by statement id
/// and language; a bad one is a content error, reported with its file and line.
fn recordings(
    sources: &bitig_typeset::Sources,
) -> Result<
    std::collections::HashMap<(String, bitig_format::Lang), bitig_speech::recording::Recording>,
> {
    let mut out = std::collections::HashMap::new();
    let mut bad = 0;
    for st in &sources.statements {
        match bitig_speech::recording::Recording::beside(&st.path) {
            Ok(Some(r)) => {
                eprintln!(
                    "  {} [{}]: read by {} ({} cues)",
                    st.id,
                    st.lang.tag(),
                    r.audio.display(),
                    r.cues.len()
                );
                out.insert((st.id.clone(), st.lang), r);
            }
            Ok(None) => {}
            Err(e) => {
                eprintln!("error: {e}");
                bad += 1;
            }
        }
    }
    if bad > 0 {
        eprintln!("error: {bad} recording(s) refused; nothing was written");
        return Err(anyhow::Error::new(ContentFailure));
    }
    Ok(out)
}

fn inspect_command(a: InspectArgs) -> Result<()> {
    let InspectArgs {
        bundle,
        pages,
        glyphs,
        typography,
        assets,
        doc,
    } = a;
    let bytes =
        std::fs::read(&bundle).with_context(|| format!("cannot read {}", bundle.display()))?;
    let b = Bundle::from_bundle_bytes(&bytes).map_err(|e| invalid_bundle(&bundle, e))?;
    let fonts = if glyphs || typography {
        Some(Fonts::load(&assets.join("fonts")).map_err(report)?)
    } else {
        None
    };
    let mut shaper = fonts.as_ref().map(ShapeContext::new);
    inspect(&b, &bytes, pages, glyphs, doc.as_deref(), shaper.as_mut());
    if typography {
        let hyph = Hyphenator::load(&assets.join("hyphenation"))
            .map_err(|(p, m)| anyhow::anyhow!("{}: {m}", p.display()))?;
        if let Some(shaper) = shaper.as_mut() {
            let stats = measure(&b, &hyph, shaper);
            let only: Vec<_> = stats
                .into_iter()
                .filter(|s| doc.as_deref().is_none_or(|d| d == s.doc))
                .collect();
            print!("{}", typography_report(&only));
        }
    }
    Ok(())
}

fn compare_tex(a: CompareTexArgs) -> Result<()> {
    let CompareTexArgs {
        src,
        profile,
        work,
        tradeoff,
    } = a;
    let inputs = src.inputs();
    let mut sources = load_sources(&inputs).map_err(report)?;
    let mut paths = inputs.profile_paths()?;
    if let Some(p) = &profile {
        paths.retain(|path| {
            path.file_stem().is_some_and(|s| s == p.as_str()) || path == Path::new(p)
        });
        anyhow::ensure!(
            !paths.is_empty(),
            "no profile {p} in {}",
            inputs.assets.join("profiles").display()
        );
    }
    for path in paths {
        let (spec, _) = ProfileSpec::load(&path).map_err(report)?;
        let bytes = build_bundle(&sources, &path, &mut |_| {}).map_err(report)?;
        let bundle = Bundle::from_bundle_bytes(&bytes).context("the new bundle does not decode")?;
        let mut shaper = ShapeContext::new(&sources.fonts);
        let ours = measure(&bundle, &sources.hyph, &mut shaper);
        let tex = bitig_typeset::texref::tex_stats(
            &sources,
            &spec,
            &inputs.assets,
            &work.join(&spec.name),
        )
        .map_err(|m| anyhow::anyhow!("{m}"))?;
        println!("{} (B = Bitig, T = LuaTeX)\n", spec.name);
        println!("{}", bitig_typeset::texref::table(&ours, &tex));
        if tradeoff {
            let mut rows = vec![(bitig_typeset::texref::SETTINGS[0].0.to_string(), ours)];
            for (name, setting) in bitig_typeset::texref::SETTINGS.iter().skip(1) {
                let saved = (sources.params, sources.hyph.clone());
                setting(&mut sources);
                let bytes = build_bundle(&sources, &path, &mut |_| {}).map_err(report)?;
                let bundle =
                    Bundle::from_bundle_bytes(&bytes).context("the new bundle does not decode")?;
                let mut shaper = ShapeContext::new(&sources.fonts);
                rows.push((
                    name.to_string(),
                    measure(&bundle, &sources.hyph, &mut shaper),
                ));
                (sources.params, sources.hyph) = saved;
            }
            println!("{}", bitig_typeset::texref::tradeoff_table(&rows, &tex));
        }
    }
    Ok(())
}

fn proof(bundle: PathBuf, out: PathBuf) -> Result<()> {
    let bytes =
        std::fs::read(&bundle).with_context(|| format!("cannot read {}", bundle.display()))?;
    let b = Bundle::from_bundle_bytes(&bytes).map_err(|e| invalid_bundle(&bundle, e))?;
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create {}", out.display()))?;
    let names = bitig_typeset::proof::write_proofs(&b, &out)?;
    for n in names {
        println!("{}", out.join(n).display());
    }
    Ok(())
}

/// One text line per glyph run: `f{font}@{px} g{gid}={cluster}+{advance}|…`. The cluster is a
/// byte offset into the line text; the advance is the pen movement to the next glyph of the
/// run (justification included). Blank glyphs (spaces) are not stored, so they never appear.
/// A refused bundle as an error that names the file and the error code (exit code 1).
fn invalid_bundle(path: &Path, e: bitig_format::FormatError) -> anyhow::Error {
    let code = e.code();
    anyhow::Error::new(e).context(format!("{} is not a valid bundle [{code}]", path.display()))
}

/// Glyphs drawn as `.notdef` (glyph id 0, the font's "tofu" box).
fn missing_glyphs(b: &Bundle<'_>) -> usize {
    let strikes = &b.strikes;
    let notdef = |line: &Line| {
        line.runs
            .iter()
            .flat_map(|r| r.glyphs.iter().map(move |g| (r.strike, g.entry)))
            .filter(|(s, e)| {
                strikes
                    .get(usize::from(s.0))
                    .and_then(|s| s.glyphs.get(usize::from(*e)))
                    .is_some_and(|a| a.gid.0 == 0)
            })
            .count()
    };
    let pages: usize = b
        .documents
        .iter()
        .flat_map(|d| &d.editions)
        .flat_map(|e| {
            e.layouts
                .iter()
                .flat_map(|l| &l.pages)
                .flat_map(|p| &p.lines)
                .chain(&e.card.lines)
        })
        .map(notdef)
        .sum();
    let ui: usize = b.ui.iter().flat_map(|u| &u.block.lines).map(notdef).sum();
    pages + ui
}

fn glyph_dump(b: &Bundle<'_>, line: &Line) -> Vec<String> {
    let mut out = Vec::new();
    for run in &line.runs {
        let Some(strike): Option<&Strike> = b.strikes.get(usize::from(run.strike.0)) else {
            continue;
        };
        let mut pen = i32::from(line.x) + i32::from(run.x);
        let positions: Vec<i32> = run
            .glyphs
            .iter()
            .map(|g| {
                pen += i32::from(g.dx);
                pen
            })
            .collect();
        let mut parts = Vec::new();
        for (i, g) in run.glyphs.iter().enumerate() {
            let gid = strike
                .glyphs
                .get(usize::from(g.entry))
                .map_or(0, |a| a.gid.0);
            let adv = positions.get(i + 1).map_or(0, |n| n - positions[i]);
            parts.push(format!("g{gid}={}+{adv}", g.cluster));
        }
        out.push(format!(
            "f{}@{} {}",
            strike.font,
            strike.px,
            parts.join("|")
        ));
    }
    out
}

/// `println!` into a String.
macro_rules! outln {
    ($o:expr, $($t:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($o, $($t)*);
    }};
}

/// The `--typography` table, one row per edition and layout, then every fault by name.
fn typography_report(stats: &[Stats]) -> String {
    let mut o = String::new();
    outln!(
        o,
        "{:<38} {:>4} {:>6} {:>7} {:>4} {:>5} {:>3} {:>3} {:>4} {:>5} {:>3} {:>3} {:>5} {:>5} {:>5}",
        "edition / layout",
        "",
        "lines",
        "hyph%",
        "run",
        "frag",
        "wid",
        "orp",
        "head",
        "names",
        "url",
        "\"",
        "sp.mn",
        "sp.95",
        ">1.5"
    );
    for s in stats {
        outln!(
            o,
            "{:<38} {:>4} {:>6} {:>6.1}% {:>4} {:>5} {:>3} {:>3} {:>4} {:>5} {:>3} {:>3} {:>5.2} {:>5.2} {:>5}",
            s.doc,
            format!("{}/{}", s.lang.map_or("?", |l| l.tag()), s.size.map_or("?".to_string(), |z| format!("{z:?}")).to_lowercase().chars().next().unwrap_or('?')),
            s.lines,
            100.0 * s.hyphen_share(),
            s.longest_run,
            s.one_fragment.len(),
            s.widows.len(),
            s.orphans.len(),
            s.stranded_headings.len(),
            s.bad_name_breaks.len(),
            s.url_hyphens.len(),
            s.straight_quotes,
            s.space_mean(),
            s.space_p95(),
            s.loose_lines()
        );
    }
    outln!(
        o,
        "columns: layout (n normal, l large, h half = side by side); hyph% lines ending in a hyphen; run the longest run of them; frag one-fragment lines; wid/orp widows and orphans; head headings last on a page; names names broken outside their exception points; url hyphens in URLs; \" straight quotes; sp.mn/sp.95 inter-word space / the font's space (mean, 95th percentile) and >1.5 lines over 1.5x"
    );
    for s in stats {
        for fault in s.listed_faults() {
            outln!(o, "{fault}");
        }
    }
    o
}

fn inspect(
    b: &Bundle<'_>,
    bytes: &[u8],
    pages: bool,
    glyphs: bool,
    only: Option<&str>,
    mut shaper: Option<&mut ShapeContext<'_>>,
) {
    let mut o = String::new();
    let header = Header::from_bundle_bytes(bytes).ok();
    outln!(o, "bundle {} ({} bytes)", b.meta.bundle_id, bytes.len());
    if let Some(h) = header {
        let hex = bitig_format::hex::to_hex(&h.hash);
        outln!(o, "format v{}  blake3 {hex}", h.format_version);
    }
    outln!(
        o,
        "generator {}  content date {}",
        b.meta.generator,
        b.meta.content_date
    );
    let p = &b.profile;
    outln!(
        o,
        "profile {} {}x{} rot {}  page {}x{}",
        p.name,
        p.width,
        p.height,
        p.rotation,
        p.page_width,
        p.page_height
    );
    let atlas_bytes: usize = b.atlases.iter().map(|a| a.alpha.len()).sum();
    let glyph_count: usize = b.strikes.iter().map(|s| s.glyphs.len()).sum();
    outln!(
        o,
        "{} atlases ({atlas_bytes} bytes), {} strikes, {glyph_count} glyphs, {} ui strings",
        b.atlases.len(),
        b.strikes.len(),
        b.ui.len()
    );
    for d in &b.documents {
        if only.is_some_and(|o| o != d.id) {
            continue;
        }
        for e in &d.editions {
            let texts: Vec<&str> = e.blocks.iter().map(|bl| bl.text).collect();
            let sizes: Vec<String> = e
                .layouts
                .iter()
                .map(|l| format!("{:?} {} pages", l.size, l.pages.len()))
                .collect();
            outln!(
                o,
                "{} [{}] {} blocks, {}: {}",
                d.id,
                e.lang.tag(),
                e.blocks.len(),
                sizes.join(", "),
                e.title
            );
            if !(pages || glyphs) {
                continue;
            }
            for l in &e.layouts {
                for (pi, page) in l.pages.iter().enumerate() {
                    outln!(
                        o,
                        "--- {} [{}] {:?} page {}/{}",
                        d.id,
                        e.lang.tag(),
                        l.size,
                        pi + 1,
                        l.pages.len()
                    );
                    for (li, line) in page.lines.iter().enumerate() {
                        let t = line_text(&texts, line).unwrap_or("");
                        let h = if line.hyphen { "-" } else { "" };
                        if pages {
                            outln!(o, "{t}{h}");
                        }
                        if glyphs {
                            outln!(o, "l{li} b{} {t}{h}", line.block);
                            if let Some(r) = shaper
                                .as_deref_mut()
                                .and_then(|sh| space_ratio(b, &texts, line, sh, e.lang))
                            {
                                outln!(o, "   space {r:.2}x");
                            }
                            for run in glyph_dump(b, line) {
                                outln!(o, "   {run}");
                            }
                        }
                    }
                }
            }
        }
    }
    use std::io::Write;
    // A closed pipe (`| head`) is not an error.
    let _ = std::io::stdout().lock().write_all(o.as_bytes());
}
