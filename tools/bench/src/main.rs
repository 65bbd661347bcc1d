//! `bitig-bench`: the figures of docs/performance.md, measured in one run and printed as one
//! table with ratios and budgets. Not a test: `--quick` (CI) only checks that it still runs.
//!
//! ```sh
//! scripts/bench                                      # builds what it measures, full run
//! cargo run --release -p bitig-bench                 # the full run (a few minutes)
//! cargo run --release -p bitig-bench -- --quick      # seconds; what CI runs
//! cargo run --release -p bitig-bench -- --plot docs/performance-render.png
//! cargo run --release -p bitig-bench -- --speech     # figure 10 alone
//! cargo run --release -p bitig-bench -- --watch      # figure 11 alone
//! ```
//!
//! 1. Page render, per page of the seed corpus (800×480, normal size): Bitig's blitter from
//!    the bundle, against (a) shaping with rustybuzz and rasterizing with fontdue at run time,
//!    (b) Slint's own `Text` element with the software renderer, (c) a memcpy of one frame.
//! 2. Allocations while Bitig draws a page, and per page turn in the headless kiosk (the
//!    kiosk's own code, and the whole UI thread with Slint's runtime, with frames forced as
//!    the allocation test draws them and as the device draws them), by a counting allocator;
//!    and Slint's own floor: each change a turn makes, alone in a minimal window.
//! 3. Bundle size against PNGs of every page and against subset fonts plus compressed text.
//! 4. Cold start of the headless kiosk to its first frame, and its instruction count.
//! 5. Peak RSS of the headless kiosk paging through the reader.
//! 6. Bundler throughput for 1×, 10× and 100× the seed corpus.
//! 7. Instructions per page for Bitig, (a) and (c): x86_64 under callgrind, aarch64 under
//!    qemu-aarch64 (`bitig-pagebench`, built for both by scripts/bench).
//! 8. The page slide: instructions per slide frame and per page turn (touch to settled
//!    frame), partial (the device's) and full repaint, each against a copy of the frame on
//!    the same target; the fps a Pi 3, 4 and 5 sustain in a quarter of a core
//!    (`bitig-slidebench`, built for both by scripts/bench). Allocations per turn are in
//!    section 2.
//! 9. The idle kiosk: wake-ups and CPU time per idle screen, headless and in the simulator.
//! 10. Speech codecs: the voice of every statement (tools/speech), encoded by each codec
//!     weighed (Opus through opusenc, Vorbis through oggenc), in bytes per hour of speech, and
//!     the instructions to decode one second on x86_64 and aarch64 (`bitig-codecbench`: libopus,
//!     lewton), against the budgets of the speech issue; the speech part's added build time
//!     (`bitig build` without it, from empty caches, cached); and on the kiosk's own voice
//!     (`bitig-voicebench`), the instructions from Action to the first sample and per second
//!     of reading.
//! 11. The editor's live preview: a one-word save in the largest statement to the simulator
//!     showing it (`bitig watch`, `bitig-kiosk --watch`, under Xvfb), against 1 s.

use anyhow::{Context, Result};
use bitig_format::{Bundle, Page};
use bitig_pagebench::{draw_bitig, draw_runtime, pages, runtime_lines, RtLine};
use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

mod watch;

mod ui {
    #![allow(
        clippy::all,
        clippy::pedantic,
        clippy::restriction,
        missing_debug_implementations
    )]
    slint::include_modules!();
}

/// Counts allocations, for the "allocations per page" figures: all of them, and those made
/// inside the kiosk's own code (`bitig_kiosk::hot`).
struct Counting;
static ALLOCS: AtomicU64 = AtomicU64::new(0);
static OURS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

fn count(size: usize) {
    ALLOCS.fetch_add(1, Ordering::Relaxed);
    BYTES.fetch_add(size as u64, Ordering::Relaxed);
    if bitig_kiosk::hot::in_ours() {
        OURS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY-free: delegating to the system allocator only.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        count(l.size());
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        count(n);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[derive(Debug, Default)]
struct Args {
    quick: bool,
    plot: Option<PathBuf>,
    /// `--kiosk-turns BUNDLE`: the child process of [`kiosk_turn_allocations`].
    kiosk_turns: Option<PathBuf>,
    /// `--device` after it: frames drawn as the device draws them.
    device: bool,
    /// `--slint-floor`: the child process of [`slint_floor_allocations`].
    slint_floor: bool,
    /// `--speech`: figure 10 alone.
    speech: bool,
    /// `--watch`: figure 11 alone.
    watch: bool,
    /// `--slide`: the page turn against its floor (sections 1, 2, 4, 5, 7 and 8).
    slide: bool,
}

/// One row of the result table.
struct Row {
    figure: String,
    value: String,
    budget: String,
    ok: Option<bool>,
}

fn row(rows: &mut Vec<Row>, figure: &str, value: String, budget: &str, ok: Option<bool>) {
    println!("  {figure}: {value}");
    rows.push(Row {
        figure: figure.into(),
        value,
        budget: budget.into(),
        ok,
    });
}

/// Minimal headless Slint platform for comparison (b).
struct SlintPlatform {
    window: std::rc::Rc<slint::platform::software_renderer::MinimalSoftwareWindow>,
    start: Instant,
}

impl slint::platform::Platform for SlintPlatform {
    fn create_window_adapter(
        &self,
    ) -> Result<std::rc::Rc<dyn slint::platform::WindowAdapter>, slint::PlatformError> {
        Ok(self.window.clone())
    }
    fn duration_since_start(&self) -> Duration {
        self.start.elapsed()
    }
}

fn per_page(total: Duration, n: usize) -> f64 {
    total.as_secs_f64() * 1e6 / n.max(1) as f64
}

fn time<F: FnMut()>(reps: usize, mut f: F) -> Duration {
    let t = Instant::now();
    for _ in 0..reps {
        f();
    }
    t.elapsed()
}

fn build(statements: &[PathBuf], profile: &str) -> Result<(Vec<u8>, Duration)> {
    let mut inputs = bitig_typeset::Inputs::new(&root().join("assets"));
    if !statements.is_empty() {
        inputs.statements = statements.to_vec();
    }
    let sources = bitig_typeset::load_sources(&inputs).map_err(|e| anyhow::anyhow!("{e}"))?;
    let t = Instant::now();
    let bytes = bitig_typeset::build_bundle(
        &sources,
        &root().join(format!("assets/profiles/{profile}.toml")),
        &mut |_| {},
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((bytes, t.elapsed()))
}

fn page_count(bytes: &[u8]) -> usize {
    Bundle::from_bundle_bytes(bytes)
        .map(|b| {
            b.documents
                .iter()
                .flat_map(|d| &d.editions)
                .flat_map(|e| &e.layouts)
                .map(|l| l.pages.len())
                .sum()
        })
        .unwrap_or(0)
}

fn main() -> Result<()> {
    let args = parse_args()?;
    if let Some(bundle) = &args.kiosk_turns {
        return kiosk_turns(bundle, args.device);
    }
    if args.slint_floor {
        return slint_floor();
    }
    let mut rows = Vec::new();
    if args.slide {
        return frames_at_the_floor(&mut rows, &args);
    }
    if args.speech || args.watch {
        if args.speech {
            speech_codecs(&mut rows)?;
        }
        if args.watch {
            watch::save_to_screen(&mut rows)?;
        }
        print_table(&rows);
        return Ok(());
    }
    println!(
        "bitig-bench{} (one run; times are wall clock on this machine)",
        if args.quick { " --quick" } else { "" }
    );
    // The seed corpus, both profiles.
    let (landscape, _) = build(&[], "pi-touch-800x480")?;
    let (portrait, _) = build(&[], "pi-touch2-720x1280")?;
    let b = Bundle::from_bundle_bytes(&landscape).map_err(|e| anyhow::anyhow!("{e}"))?;
    let fonts = bitig_typeset::shape::Fonts::load(&root().join("assets/fonts"))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let render = page_render(&mut rows, &args, &b, &fonts)?;
    let bundle_file = std::env::temp_dir().join("bitig-bench-800x480.bundle");
    std::fs::write(&bundle_file, &landscape)?;
    kiosk_turn_allocations(&mut rows, &bundle_file)?;
    slint_floor_allocations(&mut rows)?;
    sizes(&mut rows, &args, &landscape, &portrait, &fonts)?;
    headless_kiosk(&mut rows, &args, &bundle_file)?;
    bundler_scaling(&mut rows, &args)?;
    if !args.quick {
        instructions(&mut rows, &bundle_file)?;
        slide(&mut rows, &bundle_file)?;
        idle(&mut rows, &bundle_file)?;
        speech_codecs(&mut rows)?;
        watch::save_to_screen(&mut rows)?;
    }
    if let Some(p) = &args.plot {
        plot(p, &b, &render.each, render.memcpy_us)?;
        println!("plot: {}", p.display());
    }
    print_table(&rows);
    Ok(())
}

fn parse_args() -> Result<Args> {
    let mut args = Args::default();
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => args.quick = true,
            "--speech" => args.speech = true,
            "--watch" => args.watch = true,
            "--slide" => args.slide = true,
            "--plot" => args.plot = it.next().map(PathBuf::from),
            "--slint-floor" => args.slint_floor = true,
            "--device" => args.device = true,
            "--kiosk-turns" => {
                let bundle = it.next().context("--kiosk-turns needs a bundle")?;
                args.kiosk_turns = Some(PathBuf::from(bundle));
            }
            other => {
                anyhow::bail!("unknown argument {other}; usage: bitig-bench [--quick] [--speech] [--watch] [--slide] [--plot PNG]")
            }
        }
    }
    Ok(args)
}

/// `--slide`: the figures of the page turn against their floor, from one run: the page draw
/// against a frame memcpy (section 1), allocations per turn (section 2), cold start and peak
/// RSS (sections 4 and 5), the page draw's instructions against the memcpy's (section 7),
/// the slide's frames and turns against a frame copy on x86_64 and aarch64 (section 8).
fn frames_at_the_floor(rows: &mut Vec<Row>, args: &Args) -> Result<()> {
    println!("bitig-bench --slide (one run; times are wall clock on this machine)");
    let (landscape, _) = build(&[], "pi-touch-800x480")?;
    let b = Bundle::from_bundle_bytes(&landscape).map_err(|e| anyhow::anyhow!("{e}"))?;
    let fonts = bitig_typeset::shape::Fonts::load(&root().join("assets/fonts"))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let render = page_render(rows, args, &b, &fonts)?;
    let bundle_file = std::env::temp_dir().join("bitig-bench-800x480.bundle");
    std::fs::write(&bundle_file, &landscape)?;
    kiosk_turn_allocations(rows, &bundle_file)?;
    slint_floor_allocations(rows)?;
    // Cold start and peak RSS: the page draw's pre-blended atlases are made at start and kept.
    headless_kiosk(rows, args, &bundle_file)?;
    // The page draw against the memcpy in instructions (section 7), then the slide.
    instructions(rows, &bundle_file)?;
    slide(rows, &bundle_file)?;
    if let Some(p) = &args.plot {
        plot(p, &b, &render.each, render.memcpy_us)?;
        println!("plot: {}", p.display());
    }
    print_table(rows);
    Ok(())
}

fn print_table(rows: &[Row]) {
    println!("\n| Figure | Measured | Budget | Meets |\n|---|---|---|---|");
    for r in rows {
        let ok = match r.ok {
            Some(true) => "yes",
            Some(false) => "**no**",
            None => "",
        };
        println!("| {} | {} | {} | {ok} |", r.figure, r.value, r.budget);
    }
}

/// What the page render measured, for the plot.
struct Render {
    /// Bitig's time per page (µs), page by page.
    each: Vec<f64>,
    /// One frame copy (µs).
    memcpy_us: f64,
}

/// Section 1, page render: Bitig against (a) shaping and rasterizing at run time, (b) Slint's Text
/// and (c) a memcpy of one frame, all on the same pages; then (section 2) allocations while drawing.
fn page_render(
    rows: &mut Vec<Row>,
    args: &Args,
    b: &Bundle<'_>,
    fonts: &bitig_typeset::shape::Fonts,
) -> Result<Render> {
    let (w, h) = (u32::from(b.profile.width), u32::from(b.profile.height));
    let mut all = pages(b);
    if args.quick {
        all.truncate(4);
    }
    let reps = if args.quick { 2 } else { 20 };
    let mut frame = vec![0u8; (w * h * 3) as usize];
    println!(
        "1. page render, {} pages x {reps} repetitions, {w}x{h}",
        all.len()
    );
    // The atlases blended for the theme's inks: the kiosk's reader makes them once a bundle.
    let t = Instant::now();
    let inked = bitig_render::Inked::theme(b);
    let inked_ms = t.elapsed().as_secs_f64() * 1e3;
    let PageTimes {
        each: bitig_each,
        restore_us,
        unknown_us,
        memcpy_us,
    } = render_bitig(b, &inked, &all, reps, &mut frame);
    let bitig_us: f64 = bitig_each.iter().sum::<f64>() / bitig_each.len().max(1) as f64;
    let rt: Vec<Vec<RtLine>> = all.iter().map(|(e, p)| runtime_lines(b, e, p)).collect();
    let runtime_us = render_runtime(fonts, &rt, reps, &mut frame, (w, h))?;
    let slint_us = render_slint(&rt, reps, (w, h))?;

    row(
        rows,
        "render: Bitig, per page, over the page before (the kiosk's reused buffers)",
        format!(
            "{bitig_us:.1} µs (background restored {restore_us:.1} µs, glyphs {:.1} µs)",
            bitig_us - restore_us
        ),
        "",
        None,
    );
    row(
        rows,
        "render: Bitig, per page, into a buffer of unknown pixels (every pixel filled)",
        format!("{unknown_us:.1} µs = {:.2}× floor", unknown_us / memcpy_us),
        "",
        None,
    );
    row(
        rows,
        "render: the atlases blended for the theme's inks, once a bundle",
        format!(
            "{inked_ms:.1} ms, {} KB held (glyph rows on the background are copied from them)",
            inked.bytes() / 1024
        ),
        "",
        None,
    );
    row(
        rows,
        "render: (a) rustybuzz + fontdue at run time",
        format!("{runtime_us:.1} µs = {:.0}× Bitig", runtime_us / bitig_us),
        "≥ 50× Bitig",
        Some(runtime_us / bitig_us >= 50.0),
    );
    row(
        rows,
        "render: (b) Slint Text, software renderer",
        format!("{slint_us:.1} µs = {:.1}× Bitig", slint_us / bitig_us),
        "",
        None,
    );
    row(
        rows,
        "render: (c) memcpy of one frame (floor), timed after each page",
        format!(
            "{memcpy_us:.1} µs; Bitig = {:.2}× floor",
            bitig_us / memcpy_us
        ),
        "Bitig ≤ 1.5× floor",
        Some(bitig_us / memcpy_us <= 1.5),
    );

    // 2. Allocations while drawing pages.
    let before = ALLOCS.load(Ordering::Relaxed);
    let mut held = bitig_render::Held::unknown();
    for (_, p) in &all {
        draw_bitig(b, &inked, p, &mut frame, &mut held, (w, h));
    }
    let allocs = ALLOCS.load(Ordering::Relaxed) - before;
    row(
        rows,
        "allocations: Bitig drawing every page once",
        format!("{allocs}"),
        "0",
        Some(allocs == 0),
    );
    Ok(Render {
        each: bitig_each,
        memcpy_us,
    })
}

/// Bitig's time per page (each page drawn `reps` times), in µs, as the kiosk's reader draws
/// it: into a buffer that holds the page before (its page buffers are reused), each drawing
/// timed on its own after the page before is drawn, untimed. With them: an empty page over
/// each page (what restoring the background costs), each page into a buffer whose pixels are
/// not known (every pixel filled), and (c) the memcpy of one frame. The memcpy is timed
/// `reps` times right after each page, into the same frame, so that both sides see the
/// machine in the same state: on this VM a memcpy timed on its own, at another moment, took
/// from 31 to 46 µs.
fn render_bitig(
    b: &Bundle<'_>,
    inked: &bitig_render::Inked,
    all: &[(&bitig_format::Edition<'_>, &Page)],
    reps: usize,
    frame: &mut [u8],
) -> PageTimes {
    use bitig_render::Held;
    let size = (u32::from(b.profile.width), u32::from(b.profile.height));
    let src = vec![0x5au8; frame.len()];
    let mut held = Held::unknown();
    for (_, p) in all {
        draw_bitig(b, inked, p, frame, &mut held, size); // warm caches
    }
    let empty = Page {
        first_block: 0,
        lines: Vec::new(),
    };
    // `page` drawn over `before` (untimed), `reps` times.
    let mut over = |before: &Page, page: &Page, frame: &mut [u8]| {
        let mut t = Duration::ZERO;
        for _ in 0..reps {
            draw_bitig(b, inked, before, frame, &mut held, size);
            let start = Instant::now();
            draw_bitig(b, inked, page, black_box(&mut *frame), &mut held, size);
            t += start.elapsed();
        }
        // The memcpy below leaves other pixels than `held` says.
        held = Held::unknown();
        t
    };
    let (mut each, mut restore, mut copies) = (Vec::new(), Duration::ZERO, Duration::ZERO);
    for (i, (_, p)) in all.iter().enumerate() {
        let before = all[(i + all.len() - 1) % all.len()].1;
        each.push(per_page(over(before, p, frame), reps));
        restore += over(p, &empty, frame);
        copies += time(reps, || {
            black_box(&mut *frame).copy_from_slice(black_box(&src));
        });
    }
    let mut unknown = Duration::ZERO;
    for (_, p) in all {
        unknown += time(reps, || {
            let mut held = Held::unknown();
            draw_bitig(b, inked, p, black_box(&mut *frame), &mut held, size)
        });
    }
    PageTimes {
        each,
        restore_us: per_page(restore, reps * all.len()),
        unknown_us: per_page(unknown, reps * all.len()),
        memcpy_us: per_page(copies, reps * all.len()),
    }
}

/// What [`render_bitig`] measures, in µs a page.
struct PageTimes {
    /// Each page over the page before.
    each: Vec<f64>,
    /// An empty page over each page: the background restored.
    restore_us: f64,
    /// Each page into a buffer whose pixels are not known.
    unknown_us: f64,
    /// (c) a memcpy of one frame, timed after each page.
    memcpy_us: f64,
}

/// (a) Shaping with rustybuzz and rasterizing with fontdue at run time: µs per page.
fn render_runtime(
    fonts: &bitig_typeset::shape::Fonts,
    rt: &[Vec<RtLine>],
    reps: usize,
    frame: &mut [u8],
    (w, h): (u32, u32),
) -> Result<f64> {
    let faces: Vec<rustybuzz::Face<'_>> = fonts
        .data
        .iter()
        .map(|d| rustybuzz::Face::from_slice(d, 0).context("font"))
        .collect::<Result<_>>()?;
    let t = time(reps, || {
        for lines in rt {
            draw_runtime(
                &faces,
                &fonts.raster,
                lines,
                black_box(&mut *frame),
                w as usize,
                h as usize,
            );
        }
    });
    Ok(per_page(t, rt.len() * reps))
}

/// Installs this process's Slint platform (one a process) with a headless window, drawn
/// with `repaint`, and returns the window.
fn slint_window(
    repaint: slint::platform::software_renderer::RepaintBufferType,
) -> Result<std::rc::Rc<slint::platform::software_renderer::MinimalSoftwareWindow>> {
    let window = slint::platform::software_renderer::MinimalSoftwareWindow::new(repaint);
    slint::platform::set_platform(Box::new(SlintPlatform {
        window: window.clone(),
        start: Instant::now(),
    }))
    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok(window)
}

/// (b) The same text through Slint's Text element and its software renderer: µs per page.
fn render_slint(rt: &[Vec<RtLine>], reps: usize, (w, h): (u32, u32)) -> Result<f64> {
    let n = rt.len() * reps;
    let window = slint_window(slint::platform::software_renderer::RepaintBufferType::NewBuffer)?;
    let page_ui = ui::TextPage::new()?;
    window.set_size(slint::PhysicalSize::new(w, h));
    slint::ComponentHandle::show(&page_ui)?;
    let bodies: Vec<slint::SharedString> = rt
        .iter()
        .map(|lines| {
            lines
                .iter()
                .map(|l| l.text.as_str())
                .collect::<Vec<_>>()
                .join(" ")
                .into()
        })
        .collect();
    let mut slint_frame = vec![slint::Rgb8Pixel { r: 0, g: 0, b: 0 }; (w * h) as usize];
    let mut slint_draw = |body: &slint::SharedString| {
        page_ui.set_body(body.clone());
        window.request_redraw();
        window.draw_if_needed(|r| {
            r.render(&mut slint_frame, w as usize);
        });
    };
    for body in &bodies {
        slint_draw(body); // warm its glyph cache
    }
    let t = time(reps, || {
        for body in &bodies {
            slint_draw(body);
        }
    });
    let slint_us = per_page(t, n);
    Ok(slint_us)
}

/// Runs this binary with `args` (a child process: one Slint platform per process) and
/// returns what it printed; its output and errors if it failed.
fn child(args: &[&std::ffi::OsStr]) -> Result<String> {
    let o = Command::new(std::env::current_exe()?).args(args).output()?;
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    anyhow::ensure!(
        o.status.success(),
        "{}: {out}{}",
        args.first()
            .map_or_else(String::new, |a| a.to_string_lossy().into_owned()),
        String::from_utf8_lossy(&o.stderr)
    );
    Ok(out)
}

/// The number after `name` in a child's `name N name N ...` line.
fn printed<T: std::str::FromStr>(out: &str, child: &str, name: &str) -> Result<T> {
    out.split_whitespace()
        .skip_while(|w| *w != name)
        .nth(1)
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("{child} printed no {name}: {out}"))
}

/// Section 2, allocations per page turn in the kiosk: a child process (one Slint platform per
/// process) opens the reader headless and turns pages under this counting allocator.
fn kiosk_turn_allocations(rows: &mut Vec<Row>, bundle_file: &Path) -> Result<()> {
    // Each turn with a frame forced half-way and a settled one (the allocation test's way),
    // then with frames drawn as the device draws them.
    for device in [false, true] {
        let mut args = vec![
            std::ffi::OsStr::new("--kiosk-turns"),
            bundle_file.as_os_str(),
        ];
        if device {
            args.push(std::ffi::OsStr::new("--device"));
        }
        let out = child(&args)?;
        let field = |name: &str| -> Result<u64> { printed(&out, "--kiosk-turns", name) };
        let (turns, ours, all, bytes, frames) = (
            field("turns")?,
            field("ours")?,
            field("all")?,
            field("bytes")?,
            field("frames")?,
        );
        let per = |n: u64| n as f64 / turns.max(1) as f64;
        if device {
            row(
                rows,
                "allocations per page turn: whole UI thread, frames drawn as on the device",
                format!(
                    "{:.0} ({:.1} KB) per turn, {:.1} frames Slint rendered per turn \
                     (the swap chain of platform/drm.rs; Slint renders only when something \
                     of its own changed)",
                    per(all),
                    per(bytes) / 1000.0,
                    per(frames)
                ),
                "0",
                Some(all == 0),
            );
            continue;
        }
        row(
            rows,
            "allocations per page turn: the kiosk's own code",
            format!(
                "{} ({ours} in {turns} turns after warm-up)",
                ours / turns.max(1)
            ),
            "0",
            Some(ours == 0),
        );
        row(
            rows,
            "allocations per page turn: whole UI thread, Slint's runtime included",
            format!(
                "{:.0} ({:.1} KB) per turn, {:.1} frames Slint rendered per turn (a frame \
                 forced half-way and a settled one, as the allocation test draws them)",
                per(all),
                per(bytes) / 1000.0,
                per(frames)
            ),
            "0",
            Some(all == 0),
        );
    }
    Ok(())
}

/// Section 2, Slint's floor: what each change that a page turn makes costs in allocations in
/// the least window that has it (`Floor`, tools/bench/ui/textpage.slint), in a child process
/// (one Slint platform per process). A turn changes the progress bar and the counter's image,
/// a visitor's tap goes through Slint's input dispatch, and the slide's end is a timer; if
/// one of these allocates in Slint itself, the kiosk's turn cannot allocate nothing while
/// Slint draws its chrome.
fn slint_floor_allocations(rows: &mut Vec<Row>) -> Result<()> {
    let out = child(&[std::ffi::OsStr::new("--slint-floor")])?;
    let field = |name: &str| -> Result<f64> { printed(&out, "--slint-floor", name) };
    let reps = field("reps")?.max(1.0);
    let [progress, label, tap, timer, nothing] = [
        field("progress")? / reps,
        field("label")? / reps,
        field("tap")? / reps,
        field("timer")? / reps,
        field("nothing")? / reps,
    ];
    row(
        rows,
        "allocations: Slint 1.18's floor, a minimal window (what a turn changes, each alone)",
        format!(
            "progress bar set and drawn {progress:.1}; counter image set and drawn {label:.1}; \
             a tap dispatched {tap:.1}; a single-shot timer {timer:.1}; a frame with no change {nothing:.1}"
        ),
        "0 each, for 0 per turn",
        Some(progress + label + tap + timer == 0.0),
    );
    Ok(())
}

/// `--slint-floor`: `Floor` in a headless window; after a warm-up, each change is made `reps`
/// times under the counting allocator. Prints `reps N progress N label N tap N timer N
/// nothing N` (allocations in all, per change).
fn slint_floor() -> Result<()> {
    use slint::platform::{PointerEventButton, WindowEvent};
    use slint::{ComponentHandle, LogicalPosition};
    let (w, h) = (800u32, 480u32);
    let window = slint_window(slint::platform::software_renderer::RepaintBufferType::ReusedBuffer)?;
    let ui = ui::Floor::new()?;
    window.set_size(slint::PhysicalSize::new(w, h));
    ui.show()?;
    let taps = std::rc::Rc::new(std::cell::Cell::new(0u32));
    let t = taps.clone();
    ui.on_tapped(move || t.set(t.get() + 1));
    // Two counter images, made once, as the kiosk's counter buffers are.
    let labels: Vec<slint::Image> = [0x20u8, 0x80]
        .iter()
        .map(|&v| {
            let mut b = slint::SharedPixelBuffer::<slint::Rgb8Pixel>::new(80, 24);
            b.make_mut_bytes().fill(v);
            slint::Image::from_rgb8(b)
        })
        .collect();
    let mut frame = vec![slint::Rgb8Pixel { r: 0, g: 0, b: 0 }; (w * h) as usize];
    let mut draw = || {
        slint::platform::update_timers_and_animations();
        window.draw_if_needed(|r| {
            r.render(&mut frame, w as usize);
        });
    };
    let at = LogicalPosition::new(400.0, 200.0);
    let fired = std::rc::Rc::new(std::cell::Cell::new(0u32));
    let counted = |i: usize, what: &str, draw: &mut dyn FnMut()| -> u64 {
        let before = ALLOCS.load(Ordering::Relaxed);
        match what {
            "progress" => ui.set_progress((i % 10) as f32 / 10.0),
            "label" => ui.set_label(labels[i % 2].clone()),
            "tap" => {
                window.dispatch_event(WindowEvent::PointerMoved { position: at });
                window.dispatch_event(WindowEvent::PointerPressed {
                    position: at,
                    button: PointerEventButton::Left,
                });
                window.dispatch_event(WindowEvent::PointerReleased {
                    position: at,
                    button: PointerEventButton::Left,
                });
            }
            "timer" => {
                let f = fired.clone();
                slint::Timer::single_shot(Duration::ZERO, move || f.set(f.get() + 1));
            }
            _ => {}
        }
        draw();
        ALLOCS.load(Ordering::Relaxed) - before
    };
    let reps = 100;
    let kinds = ["progress", "label", "tap", "timer", "nothing"];
    let mut totals = [0u64; 5];
    for round in 0..2 {
        for (k, what) in kinds.iter().enumerate() {
            for i in 0..reps {
                let n = counted(i, what, &mut draw);
                if round == 1 {
                    totals[k] += n;
                }
            }
        }
    }
    anyhow::ensure!(
        taps.get() == 2 * reps as u32 && fired.get() == 2 * reps as u32,
        "--slint-floor: {} taps and {} timers of {} came through",
        taps.get(),
        fired.get(),
        2 * reps
    );
    print!("reps {reps}");
    for (what, n) in kinds.iter().zip(totals) {
        print!(" {what} {n}");
    }
    println!();
    Ok(())
}

/// Section 3, bundle size: where the bytes go, against PNGs of every page and against subset fonts
/// with deflated text.
fn sizes(
    rows: &mut Vec<Row>,
    args: &Args,
    landscape: &[u8],
    portrait: &[u8],
    fonts: &bitig_typeset::shape::Fonts,
) -> Result<()> {
    println!("3. bundle size");
    let bundles = landscape.len() + portrait.len();
    let (png_total, glyphs, text) = pages_as_png(args, landscape, portrait)?;
    let (atlas_bytes, atlas_deflated) = atlas_sizes(&[landscape, portrait])?;
    let subset_total = subset_size(fonts, &glyphs)?;
    let text_z = deflated(text.as_bytes())?;
    let naive = subset_total + text_z;
    row(
        rows,
        "size: both bundles",
        format!(
            "{} KB, of which glyph atlases {} KB ({:.0} %); the atlases deflated would be {} KB",
            bundles / 1000,
            atlas_bytes / 1000,
            atlas_bytes as f64 * 100.0 / bundles as f64,
            atlas_deflated / 1000
        ),
        "",
        None,
    );
    row(
        rows,
        "size: PNG of every page (both profiles, all sizes)",
        format!(
            "{} KB = {:.1}× the bundles{}",
            png_total / 1000,
            png_total as f64 / bundles as f64,
            if args.quick {
                " (quick: 2 pages per layout)"
            } else {
                ""
            }
        ),
        "bundles ≥ 10× smaller",
        Some(png_total as f64 / bundles as f64 >= 10.0),
    );
    row(
        rows,
        "size: subset fonts + deflated text",
        format!(
            "{} KB + {} KB; bundles = {:.2}× that",
            subset_total / 1000,
            text_z / 1000,
            bundles as f64 / naive as f64
        ),
        "bundles ≤ 3× that",
        Some(bundles as f64 / naive as f64 <= 3.0),
    );
    Ok(())
}

/// Every page of both bundles as PNG (bytes in all), the glyphs each font's strikes hold,
/// and the text of the landscape bundle (blocks and UI strings).
fn pages_as_png(
    args: &Args,
    landscape: &[u8],
    portrait: &[u8],
) -> Result<(usize, HashMap<u8, std::collections::BTreeSet<u16>>, String)> {
    let mut png_total = 0usize;
    let mut glyphs: HashMap<u8, std::collections::BTreeSet<u16>> = HashMap::new();
    let mut text = String::new();
    for (i, bytes) in [landscape, portrait].into_iter().enumerate() {
        let bb = Bundle::from_bundle_bytes(bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
        for s in &bb.strikes {
            glyphs
                .entry(s.font)
                .or_default()
                .extend(s.glyphs.iter().map(|g| g.gid.0));
        }
        let (pw, ph) = (u32::from(bb.profile.width), u32::from(bb.profile.height));
        let mut f = vec![0u8; (pw * ph * 3) as usize];
        let inked = bitig_render::Inked::theme(&bb);
        for d in &bb.documents {
            for e in &d.editions {
                if i == 0 {
                    for blk in &e.blocks {
                        text.push_str(blk.text);
                        text.push('\n');
                    }
                }
                for l in &e.layouts {
                    let pages = if args.quick {
                        &l.pages[..l.pages.len().min(2)]
                    } else {
                        &l.pages[..]
                    };
                    let mut held = bitig_render::Held::unknown();
                    for p in pages {
                        draw_bitig(&bb, &inked, p, &mut f, &mut held, (pw, ph));
                        png_total +=
                            bitig_io::png::encode(pw, ph, bitig_io::png::Color::Rgb, &f)?.len();
                    }
                }
            }
        }
        if i == 0 {
            for u in &bb.ui {
                text.push_str(u.text);
                text.push('\n');
            }
        }
    }
    Ok((png_total, glyphs, text))
}

/// The glyph atlases of both bundles: bytes, and bytes deflated.
fn atlas_sizes(bundles: &[&[u8]]) -> Result<(usize, usize)> {
    let mut atlas_bytes = 0usize;
    let mut atlas_deflated = 0usize;
    for bytes in bundles {
        let bb = Bundle::from_bundle_bytes(bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
        for a in &bb.atlases {
            atlas_bytes += a.alpha.len();
            atlas_deflated += deflated(a.alpha)?;
        }
    }
    Ok((atlas_bytes, atlas_deflated))
}

/// The fonts subset to the glyphs the bundles use: bytes in all.
fn subset_size(
    fonts: &bitig_typeset::shape::Fonts,
    glyphs: &HashMap<u8, std::collections::BTreeSet<u16>>,
) -> Result<usize> {
    let mut subset_total = 0usize;
    for (font, gids) in glyphs {
        let data = fonts.data.get(usize::from(*font)).context("font index")?;
        let mut remapper = subsetter::GlyphRemapper::new();
        for g in gids {
            remapper.remap(*g);
        }
        subset_total += subsetter::subset(data, 0, &remapper)
            .map_err(|e| anyhow::anyhow!("subsetting font {font}: {e:?}"))?
            .len();
    }
    Ok(subset_total)
}

/// `bytes` deflated at the best compression: their length.
fn deflated(bytes: &[u8]) -> Result<usize> {
    let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
    std::io::Write::write_all(&mut z, bytes)?;
    Ok(z.finish()?.len())
}

/// Sections 4 and 5, cold start and peak RSS: the real kiosk binary, headless.
fn headless_kiosk(rows: &mut Vec<Row>, args: &Args, bundle_file: &Path) -> Result<()> {
    let kiosk = root().join("target/release/bitig-kiosk");
    if kiosk.exists() {
        println!("4./5. headless kiosk ({})", kiosk.display());
        let shots = std::env::temp_dir().join("bitig-bench-shots");
        let runs = if args.quick { 3 } else { 15 };
        let mut times = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            let o = Command::new(&kiosk)
                .args(["--headless", "--bundle"])
                .arg(bundle_file)
                .arg("--screenshot")
                .arg(&shots)
                .output()?;
            anyhow::ensure!(
                o.status.success(),
                "kiosk: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            times.push(t.elapsed());
        }
        times.sort();
        let median = times[times.len() / 2].as_secs_f64() * 1e3;
        row(
            rows,
            "cold start: process start to first frame written (median)",
            format!("{median:.1} ms over {runs} runs"),
            "≤ 100 ms",
            Some(median <= 100.0),
        );
        if !args.quick && Command::new("valgrind").arg("--version").output().is_ok() {
            let ir = count_instructions(
                Counter::Callgrind,
                &kiosk,
                &[
                    "--headless".as_ref(),
                    "--bundle".as_ref(),
                    bundle_file.as_os_str(),
                    "--screenshot".as_ref(),
                    shots.as_os_str(),
                ],
            )?;
            row(
                rows,
                "cold start: instructions (callgrind)",
                ir.to_string(),
                "",
                None,
            );
        }
        let events = if args.quick { "2000" } else { "50000" };
        let o = Command::new(&kiosk)
            .env(
                "GLIBC_TUNABLES",
                "glibc.malloc.mmap_threshold=131072:glibc.malloc.trim_threshold=131072",
            )
            .args(["--headless", "--soak", events, "--seed", "3", "--bundle"])
            .arg(bundle_file)
            .output()?;
        let out = String::from_utf8_lossy(&o.stdout);
        let peak = out
            .lines()
            .find_map(|l| l.split("peak RSS ").nth(1))
            .and_then(|s| s.split(' ').next())
            .and_then(|s| s.parse::<u64>().ok());
        match peak {
            Some(kib) => row(
                rows,
                "peak RSS: headless kiosk, reader, random touches",
                format!("{:.1} MB ({events} events)", kib as f64 / 1024.0),
                "≤ 40 MB",
                Some(kib <= 40 * 1024),
            ),
            None => row(
                rows,
                "peak RSS",
                format!("not reported: {out}"),
                "≤ 40 MB",
                Some(false),
            ),
        }
    } else {
        println!("4./5. skipped: build target/release/bitig-kiosk first (cargo build --release -p bitig-kiosk)");
    }
    Ok(())
}

/// Section 6, bundler throughput: the seed corpus copied 1, 10 and 100 times.
fn bundler_scaling(rows: &mut Vec<Row>, args: &Args) -> Result<()> {
    println!("6. bundler scaling");
    let factors: &[usize] = if args.quick { &[1, 2] } else { &[1, 10, 100] };
    let mut first: Option<(f64, usize)> = None;
    for &k in factors {
        let dir = std::env::temp_dir().join(format!("bitig-bench-corpus-{k}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)?;
        for e in std::fs::read_dir(root().join("assets/statements"))? {
            let p = e?.path();
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if !name.ends_with(".md") || name == "README.md" {
                continue;
            }
            let src = std::fs::read_to_string(&p)?;
            for i in 0..k {
                let renamed = src.replacen("id = \"", &format!("id = \"c{i}-"), 1);
                std::fs::write(
                    dir.join(format!(
                        "c{i}-{}",
                        p.file_name().and_then(|n| n.to_str()).unwrap_or("x")
                    )),
                    renamed,
                )?;
            }
        }
        let (bytes, t) = build(std::slice::from_ref(&dir), "pi-touch-800x480")?;
        let pages = page_count(&bytes);
        let secs = t.as_secs_f64();
        let rate = pages as f64 / secs;
        let scaling = match first {
            None => {
                first = Some((secs, pages));
                String::new()
            }
            Some((s1, p1)) => format!(
                "; {:.2}× the time for {:.1}× the pages",
                secs / s1,
                pages as f64 / p1 as f64
            ),
        };
        row(
            rows,
            &format!("bundler: {k}× corpus"),
            format!("{pages} pages in {secs:.2} s = {rate:.0} pages/s{scaling}"),
            "≥ 500 pages/s",
            Some(rate >= 500.0),
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(())
}

/// The idle kiosk in real time: the headless kiosk (`--real-time`, its script marks the
/// process's wake-ups and CPU time) left alone for 60 s on the attract, library and reader
/// screens, and the simulator window under Xvfb on its attract screen. Wake-ups are voluntary
/// context switches of all the process's threads.
fn idle(rows: &mut Vec<Row>, bundle: &Path) -> Result<()> {
    const SECS: u64 = 60;
    let kiosk = root().join("target/release/bitig-kiosk");
    if !kiosk.exists() {
        println!("idle: skipped: no target/release/bitig-kiosk");
        return Ok(());
    }
    let script = std::env::temp_dir().join("bitig-bench-idle.txt");
    let ms = SECS * 1000;
    std::fs::write(
        &script,
        format!(
            "wait 2000\nmark attract-start\nwait {ms}\nmark attract-end\ntap 400 300\ntap 400 348\nwait 1000\n\
             mark library-start\nwait {ms}\nmark library-end\ntap 300 120\nwait 1000\n\
             mark reader-start\nwait {ms}\nmark reader-end\n"
        ),
    )?;
    println!("idle: headless kiosk in real time, {SECS} s on each screen");
    let o = Command::new(&kiosk)
        .args(["--headless", "--real-time", "--bundle"])
        .arg(bundle)
        .arg("--script")
        .arg(&script)
        .arg("--screenshot")
        .arg(std::env::temp_dir().join("bitig-bench-idle"))
        .output()?;
    anyhow::ensure!(
        o.status.success(),
        "the idle run failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = String::from_utf8_lossy(&o.stdout);
    let mark = |name: &str| -> Option<(u64, u64, u64)> {
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("mark {name} ")))?;
        let field = |k: &str| {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(k))
                .and_then(|v| v.parse::<u64>().ok())
        };
        Some((
            field("t_ms=")?,
            field("voluntary_switches=")?,
            field("cpu_ms=")?,
        ))
    };
    for screen in ["attract", "library", "reader"] {
        let (Some(a), Some(b)) = (
            mark(&format!("{screen}-start")),
            mark(&format!("{screen}-end")),
        ) else {
            anyhow::bail!("idle: the run printed no marks for {screen}:\n{out}");
        };
        let secs = (b.0 - a.0) as f64 / 1000.0;
        idle_row(
            rows,
            &format!("idle, headless, {screen}"),
            b.1 - a.1,
            b.2 - a.2,
            secs,
        );
    }
    // The simulator window, as a visitor's desktop test would run it.
    let xvfb = Path::new("/usr/bin/Xvfb");
    if !xvfb.exists() {
        println!("idle: simulator: skipped: no Xvfb (scripts/setup-debian.sh)");
        return Ok(());
    }
    let display = ":93";
    let mut x = Command::new(xvfb)
        .args([display, "-screen", "0", "800x480x24", "-nolisten", "tcp"])
        .stderr(std::process::Stdio::null())
        .spawn()?;
    std::thread::sleep(Duration::from_secs(2));
    let mut sim = Command::new(&kiosk)
        .arg("--bundle")
        .arg(bundle)
        .env("DISPLAY", display)
        .stderr(std::process::Stdio::null())
        .spawn()?;
    std::thread::sleep(Duration::from_secs(5));
    let sample = |pid: u32| bitig_io::proc::wakeups_and_cpu(&pid.to_string());
    let t0 = Instant::now();
    let a = sample(sim.id());
    std::thread::sleep(Duration::from_secs(SECS));
    let b = sample(sim.id());
    let secs = t0.elapsed().as_secs_f64();
    let alive = sim.try_wait()?.is_none();
    let _ = sim.kill();
    let _ = sim.wait();
    let _ = x.kill();
    let _ = x.wait();
    anyhow::ensure!(alive, "idle: the simulator ended early");
    idle_row(
        rows,
        "idle, simulator (Xvfb), attract",
        b.0 - a.0,
        b.1 - a.1,
        secs,
    );
    Ok(())
}

fn idle_row(rows: &mut Vec<Row>, figure: &str, switches: u64, cpu_ms: u64, secs: f64) {
    let per_s = switches as f64 / secs;
    let cpu = cpu_ms as f64 / (secs * 1000.0) * 100.0;
    // The attract screen changes its "touch to begin" language every 2.5 s: 0.4 wake-ups/s.
    row(
        rows,
        figure,
        format!("{per_s:.2} wake-ups/s, CPU {cpu:.3} % of a core ({switches} switches, {cpu_ms} ms CPU in {secs:.0} s)"),
        "≤ 1 wake-up/s beyond the watchdog, < 0.1 % of a core",
        Some(per_s <= 1.0 && cpu < 0.1),
    );
}

/// `--kiosk-turns BUNDLE [--device]`: the headless kiosk opens the first statement and turns
/// pages; after a warm-up (each kind of turn once), eight more turns are counted. Without
/// `--device`, each turn forces a frame half-way and a settled one (`Headless::turn_page`, as
/// the allocation test does); with it, frames are drawn as platform/drm.rs draws them: the
/// swap chain, a frame at each step of the slide and one when it ends, Slint rendering only
/// when something of its own changed. Prints `turns N ours N all N bytes N frames N`:
/// allocations inside the kiosk's code, all of them, and the frames Slint rendered.
fn kiosk_turns(bundle: &Path, device: bool) -> Result<()> {
    use bitig_kiosk::platform::headless::{Headless, STEP_MS};
    use bitig_kiosk::platform::swap::SwapChain;
    use slint::platform::software_renderer::{RenderingRotation, RepaintBufferType};
    let repaint = if device {
        RepaintBufferType::SwappedBuffers
    } else {
        RepaintBufferType::NewBuffer
    };
    let (mut h, clock) = Headless::install_with(bitig_kiosk::config::Rotation::R0, repaint)?;
    let kiosk = bitig_kiosk::app::Kiosk::new(
        bitig_kiosk::app::load_bundle(bundle),
        bitig_kiosk::config::Config::load(None)?,
        clock,
    )?;
    h.attach(&kiosk)?;
    let (w, ht) = h.panel_size();
    let layer = kiosk.slide_layer();
    let mut chain = SwapChain::<bitig_kiosk::slide::Xrgb8888>::new(
        w as usize,
        ht as usize,
        RenderingRotation::NoRotation,
    );
    let mut buffers = [
        vec![bitig_kiosk::slide::Xrgb8888::default(); (w * ht) as usize],
        vec![bitig_kiosk::slide::Xrgb8888::default(); (w * ht) as usize],
    ];
    // One turn; returns the frames it forced (the device's way forces none).
    let mut turn = |h: &mut Headless,
                    chain: &mut SwapChain<bitig_kiosk::slide::Xrgb8888>,
                    forward: bool,
                    by_swipe: bool|
     -> u64 {
        if !device {
            h.turn_page(forward, by_swipe);
            return 2;
        }
        let mut draw = |h: &mut Headless, chain: &mut SwapChain<_>| {
            let b = chain.back();
            chain.draw(h.window(), &layer, h.now_ms(), &mut buffers[b], w as usize);
        };
        h.turn_gesture(forward, by_swipe);
        draw(h, chain);
        while kiosk.sliding() {
            h.advance(STEP_MS);
            draw(h, chain);
        }
        h.advance(300);
        draw(h, chain);
        0
    };
    let mut forced = 0u64;
    // Wake, English, the first statement (the landscape panel's buttons).
    for (x, y) in [(400.0, 300.0), (400.0, 350.0), (300.0, 120.0)] {
        h.tap(x, y);
    }
    anyhow::ensure!(
        kiosk.screen() == bitig_kiosk::nav::Screen::Reader,
        "--kiosk-turns: the reader did not open"
    );
    let kinds = [(true, true), (true, false), (false, true), (false, false)];
    for (forward, by_swipe) in kinds {
        forced += turn(&mut h, &mut chain, forward, by_swipe);
    }
    let start = kiosk.page().0;
    let (a0, o0, b0, f0) = (
        ALLOCS.load(Ordering::Relaxed),
        OURS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
        forced + chain.renders(),
    );
    let mut turns = 0;
    let mut furthest = start;
    for _ in 0..2 {
        for (forward, by_swipe) in kinds {
            forced += turn(&mut h, &mut chain, forward, by_swipe);
            turns += 1;
            furthest = furthest.max(kiosk.page().0);
        }
    }
    let (a1, o1, b1) = (
        ALLOCS.load(Ordering::Relaxed),
        OURS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    );
    let f1 = forced + chain.renders();
    anyhow::ensure!(
        kiosk.page().0 == start && furthest == start + 2,
        "--kiosk-turns: the pages did not turn as expected"
    );
    println!(
        "turns {turns} ours {} all {} bytes {} frames {}",
        o1 - o0,
        a1 - a0,
        b1 - b0,
        f1 - f0
    );
    Ok(())
}

/// How an instruction count is taken.
#[derive(Clone, Copy)]
enum Counter {
    /// valgrind --tool=callgrind (x86_64).
    Callgrind,
    /// qemu-aarch64 logging each translated block and each block it runs.
    QemuAarch64,
}

/// Instructions executed by `bitig-pagebench MODE PAGES ...`.
fn count_instructions(counter: Counter, bin: &Path, args: &[&std::ffi::OsStr]) -> Result<u64> {
    match counter {
        Counter::Callgrind => {
            let o = Command::new("valgrind")
                .args(["--tool=callgrind", "--callgrind-out-file=/dev/null"])
                .arg(bin)
                .args(args)
                .output()?;
            anyhow::ensure!(o.status.success(), "callgrind {}", bin.display());
            let err = String::from_utf8_lossy(&o.stderr);
            err.lines()
                .find_map(|l| l.split("Collected : ").nth(1))
                .and_then(|v| v.trim().parse().ok())
                .context("callgrind printed no instruction count")
        }
        Counter::QemuAarch64 => {
            // Each translated block's instructions (`in_asm`), times how often each block
            // ran (`exec` with `nochain`: one line per execution). The same total as
            // single-stepping every instruction (checked: 84,051,759 both ways for
            // `bitig-slidebench settled-full 0`), about seven times faster.
            use std::io::BufRead;
            let mut child = Command::new("qemu-aarch64-static")
                .args(["-L", "/usr/aarch64-linux-gnu"])
                .args(["-d", "in_asm,exec,nochain", "-D", "/dev/stderr"])
                .arg(bin)
                .args(args)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::piped())
                .spawn()?;
            let log = child.stderr.take().context("qemu log")?;
            let mut sizes: HashMap<u64, u64> = HashMap::new();
            // The block being listed: its first address and instructions so far.
            let mut listing: Option<(u64, u64)> = None;
            let mut n = 0u64;
            let mut r = std::io::BufReader::with_capacity(1 << 20, log);
            let mut line = Vec::new();
            let hex = |b: &[u8]| {
                std::str::from_utf8(b)
                    .ok()
                    .and_then(|t| u64::from_str_radix(t.trim().trim_start_matches("0x"), 16).ok())
            };
            while r.read_until(b'\n', &mut line)? > 0 {
                if line.starts_with(b"0x") {
                    if let Some(pc) = line.split(|&c| c == b':').next().and_then(hex) {
                        let (_, count) = listing.get_or_insert((pc, 0));
                        *count += 1;
                    }
                } else {
                    if let Some((pc, count)) = listing.take() {
                        sizes.insert(pc, count);
                    }
                    if line.starts_with(b"Trace ") {
                        // Trace 0: HOST [FLAGS/GUEST_PC/...]
                        let pc = line
                            .split(|&c| c == b'[')
                            .nth(1)
                            .and_then(|f| f.split(|&c| c == b'/').nth(1))
                            .and_then(hex);
                        n += pc.and_then(|pc| sizes.get(&pc)).copied().unwrap_or(0);
                    }
                }
                line.clear();
            }
            anyhow::ensure!(child.wait()?.success(), "qemu-aarch64 {}", bin.display());
            Ok(n)
        }
    }
}

/// Where a release binary `name` is counted: (target, counter, binary, whether the counter is
/// installed), x86_64 under callgrind and aarch64 under qemu.
fn count_targets(name: &str) -> [(&'static str, Counter, PathBuf, bool); 2] {
    let runs = |tool: &str| Command::new(tool).arg("--version").output().is_ok();
    [
        (
            "x86_64 (callgrind)",
            Counter::Callgrind,
            root().join("target/release").join(name),
            runs("valgrind"),
        ),
        (
            "aarch64 (qemu-aarch64)",
            Counter::QemuAarch64,
            root()
                .join("target/aarch64-unknown-linux-gnu/release")
                .join(name),
            runs("qemu-aarch64-static"),
        ),
    ]
}

/// Figure 7, instructions per page on x86_64 (callgrind) and aarch64 (qemu): each workload
/// runs with 0 pages and with N pages; the difference over N is the cost of one page.
fn instructions(rows: &mut Vec<Row>, bundle: &Path) -> Result<()> {
    let fonts: Vec<PathBuf> = bitig_typeset::shape::FONT_FILES
        .iter()
        .map(|f| root().join("assets/fonts").join(f))
        .collect();
    let targets = count_targets("bitig-pagebench");
    for (name, counter, bin, tool) in targets {
        if !bin.exists() || !tool {
            println!(
                "7. {name} skipped: needs {} (scripts/bench builds it) and its counter",
                bin.display()
            );
            continue;
        }
        println!("7. instructions per page, {name}");
        let mut per = Vec::new();
        for (mode, pages) in [("bitig", 6u64), ("runtime", 3), ("memcpy", 6)] {
            let run = |n: u64| {
                let n = n.to_string();
                let mut a: Vec<&std::ffi::OsStr> =
                    vec![mode.as_ref(), n.as_ref(), bundle.as_os_str()];
                a.extend(fonts.iter().map(|f| f.as_os_str()));
                count_instructions(counter, &bin, &a)
            };
            let (zero, some) = (run(0)?, run(pages)?);
            per.push(some.saturating_sub(zero) / pages);
        }
        let [bitig, runtime, memcpy] = [per[0], per[1], per[2]];
        row(
            rows,
            &format!("instructions per page, {name}: Bitig"),
            format!(
                "{bitig} = {:.2}× (c) the memcpy of a frame (first 6 pages)",
                bitig as f64 / memcpy.max(1) as f64
            ),
            "",
            None,
        );
        row(
            rows,
            &format!("instructions per page, {name}: (a) runtime text"),
            format!(
                "{runtime} = {:.1}× Bitig (first 3 pages)",
                runtime as f64 / bitig.max(1) as f64
            ),
            "≥ 50× Bitig",
            Some(runtime >= 50 * bitig),
        );
        row(
            rows,
            &format!("instructions per page, {name}: (c) memcpy of a frame"),
            format!(
                "{memcpy} (memory-bound: its floor is in the times above, not in instructions)"
            ),
            "",
            None,
        );
    }
    Ok(())
}

/// The slide's budget: one slide frame costs at most this many times a copy of the frame
/// (its floor: the two pages are already drawn, a slide only moves them).
const SLIDE_FRAME_BUDGET: f64 = 1.5;

/// Figure 8, the page slide, against a copy of the frame on the same target in the same run.
/// `bitig-slidebench` turns SLIDE_TURNS pages in the headless kiosk (the device's UI and
/// renderer, XRGB8888 frames, the slide copied in as the device's DRM platform does) drawing
/// either only the settled frames or a frame a vblank (60 Hz) too; the difference over the
/// slide frames is one slide frame. A turn is everything from the touch to the settled
/// frame, over a run that turns no page. `memcpy` copies the frame.
fn slide(rows: &mut Vec<Row>, bundle: &Path) -> Result<()> {
    const SLIDE_TURNS: u64 = 6;
    let targets = count_targets("bitig-slidebench");
    // The number of slide frames is the same on every target (virtual time): ask the host's.
    let host = &targets[0].2;
    if !host.exists() {
        println!("8. slide skipped: no {} (scripts/bench)", host.display());
        return Ok(());
    }
    let turns = SLIDE_TURNS.to_string();
    let o = Command::new(host)
        .args(["all-partial", &turns])
        .arg(bundle)
        .output()?;
    anyhow::ensure!(
        o.status.success(),
        "bitig-slidebench: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = String::from_utf8_lossy(&o.stdout);
    let field = |name: &str| -> Result<u64> { printed(&out, "bitig-slidebench", name) };
    let slide_frames = field("slide-frames")?;
    anyhow::ensure!(slide_frames > 0, "no slide frames were drawn");
    for (name, counter, bin, tool) in targets {
        if !bin.exists() || !tool {
            println!(
                "8. slide, {name} skipped: needs {} (scripts/bench builds it) and its counter",
                bin.display()
            );
            continue;
        }
        println!("8. slide, {name}: {SLIDE_TURNS} turns, {slide_frames} slide frames");
        let run = |mode: &str, n: u64| {
            let n = n.to_string();
            let a: Vec<&std::ffi::OsStr> = vec![mode.as_ref(), n.as_ref(), bundle.as_os_str()];
            count_instructions(counter, &bin, &a)
        };
        const COPIES: u64 = 20;
        let memcpy = run("memcpy", COPIES)?.saturating_sub(run("memcpy", 0)?) / COPIES;
        let aarch64 = matches!(counter, Counter::QemuAarch64);
        row(
            rows,
            &format!("instructions per frame copy (800x480 XRGB8888 memcpy), {name}"),
            memcpy.to_string(),
            "",
            None,
        );
        for repaint in ["partial", "full"] {
            let settled = run(&format!("settled-{repaint}"), SLIDE_TURNS)?;
            let all = run(&format!("all-{repaint}"), SLIDE_TURNS)?;
            let none = run(&format!("all-{repaint}"), 0)?;
            let frame = all.saturating_sub(settled) / slide_frames;
            let turn = all.saturating_sub(none) / SLIDE_TURNS;
            let how = if repaint == "full" {
                "full repaint + copy to the frame buffer"
            } else {
                "the device's swap chain (platform/swap.rs)"
            };
            let ratio = frame as f64 / memcpy.max(1) as f64;
            row(
                rows,
                &format!("instructions per slide frame, {name}, {how}"),
                format!("{frame} = {ratio:.2}× the frame copy ({memcpy})"),
                &format!("≤ {SLIDE_FRAME_BUDGET}× the frame copy"),
                (aarch64 && repaint == "partial").then_some(ratio <= SLIDE_FRAME_BUDGET),
            );
            row(
                rows,
                &format!("instructions per page turn (touch to settled frame), {name}, {how}"),
                format!(
                    "{turn} = {:.1}× the frame copy ({:.1} slide frames' worth)",
                    turn as f64 / memcpy.max(1) as f64,
                    turn as f64 / frame.max(1) as f64
                ),
                "",
                None,
            );
            if aarch64 && repaint == "partial" {
                slide_boards(rows, frame);
            }
        }
    }
    Ok(())
}

/// What the boards sustain: the fps of slide frames in a quarter of a core (IPC 1, a rule of
/// thumb: the A72 and A76 do better, so these are floors), and the share of a core the
/// panel's 60 Hz takes.
fn slide_boards(rows: &mut Vec<Row>, frame: u64) {
    for (board, core, hz, budget) in [
        ("Pi 3", "Cortex-A53", 1.2e9, 0.10),
        ("Pi 4", "Cortex-A72", 1.5e9, 0.25),
        ("Pi 5", "Cortex-A76", 2.4e9, 0.25),
    ] {
        let quarter = hz / 4.0 / frame.max(1) as f64;
        let share_60 = 60.0 * frame as f64 / hz;
        row(
            rows,
            &format!("slide, {board} ({core} at {:.1} GHz, IPC 1)", hz / 1e9),
            format!(
                "{quarter:.0} fps in a quarter of a core; the panel's 60 fps uses {:.1}% of a core",
                share_60 * 100.0
            ),
            &format!("60 fps in ≤ {:.0}% of a core", budget * 100.0),
            Some(share_60 <= budget),
        );
    }
}

/// A bar per page: Bitig's render time, with the memcpy floor and 1.5× the floor (the budget)
/// as lines;
/// labels drawn with the bundle's own ASCII strip.
fn plot(path: &Path, b: &Bundle<'_>, each: &[f64], floor: f64) -> Result<()> {
    let (w, h) = (900u32, 400u32);
    let mut img = vec![255u8; (w * h * 3) as usize];
    let max = each.iter().copied().fold(floor * 3.5, f64::max) * 1.05;
    let (left, bottom, top) = (70u32, 350u32, 40u32);
    let bar = bitig_format::Rgb(0x1f, 0x77, 0xb4);
    let green = bitig_format::Rgb(0x2c, 0xa0, 0x2c);
    let red = bitig_format::Rgb(0xd6, 0x27, 0x28);
    let black = bitig_format::Rgb(0, 0, 0);
    let ypix = |v: f64| bottom - ((v / max) * f64::from(bottom - top)) as u32;
    {
        let mut c = bitig_render::Canvas::new(&mut img, w, h).context("plot size")?;
        let bar_w = f64::from(w - left - 10) / each.len().max(1) as f64;
        for (i, v) in each.iter().enumerate() {
            let x0 = left + (i as f64 * bar_w) as u32 + 1;
            let x1 = left + ((i + 1) as f64 * bar_w) as u32;
            let y = ypix(*v);
            c.fill_rect(x0 as i32, y as i32, (x1 - x0).max(1), bottom - y, bar);
        }
        c.fill_rect(left as i32, ypix(floor) as i32, w - left - 10, 2, green);
        c.fill_rect(left as i32, ypix(floor * 1.5) as i32, w - left - 10, 2, red);
        c.fill_rect(left as i32, bottom as i32, w - left - 10, 1, black);
        c.fill_rect(left as i32, top as i32, 1, bottom - top, black);
        let label = |c: &mut bitig_render::Canvas<'_>, t: &str, x: i32, y: i32, col| {
            let _ = bitig_render::draw_ascii(c, b, t, x, y, col);
        };
        for v in [0.0, floor, floor * 1.5, max / 1.05] {
            label(&mut c, &format!("{v:.0}"), 8, ypix(v) as i32 + 5, black);
        }
        label(&mut c, "us per page", 8, 24, black);
        label(
            &mut c,
            "Bitig page render, each page of the 800x480 corpus (normal size)",
            left as i32 + 110,
            24,
            bar,
        );
        label(
            &mut c,
            "green: memcpy of one frame (floor)    red: 1.5x the floor (budget)",
            left as i32 + 10,
            bottom as i32 + 30,
            black,
        );
    }
    bitig_io::png::write(path, w, h, bitig_io::png::Color::Rgb, &img)?;
    Ok(())
}

/// The budget for speech data (bytes per hour of speech).
const SPEECH_BYTES_PER_HOUR: f64 = 10.0e6;
/// The budget for decoding: 2% of a Cortex-A53 at 1.2 GHz, at one instruction a cycle.
const DECODE_INSTRUCTIONS_PER_S: f64 = 0.02 * 1.2e9;

/// The codecs weighed: name, file extension, encoder and its arguments, and whether the
/// output is named by `-o` (oggenc) or by the last argument (opusenc).
type Codec = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    bool,
);
const CODECS: [Codec; 4] = [
    (
        "Opus 12 kbit/s (libopus)",
        "opus",
        "opusenc",
        &["--quiet", "--speech", "--bitrate", "12"],
        false,
    ),
    (
        "Opus 16 kbit/s (libopus)",
        "opus",
        "opusenc",
        &["--quiet", "--speech", "--bitrate", "16"],
        false,
    ),
    (
        "Vorbis q-1 (lewton)",
        "ogg",
        "oggenc",
        &["-Q", "-q", "-1"],
        true,
    ),
    (
        "Vorbis q0 (lewton)",
        "ogg",
        "oggenc",
        &["-Q", "-q", "0"],
        true,
    ),
];

/// Figure 10: every statement's speech, encoded by each codec; bytes per hour and
/// instructions per decoded second (the decode of 10 s less that of 0 s, over 10).
fn speech_codecs(rows: &mut Vec<Row>) -> Result<()> {
    let tools = ["opusenc", "oggenc"]
        .iter()
        .all(|t| Command::new(t).arg("--version").output().is_ok());
    if !tools {
        println!("10. speech codecs skipped: no opusenc/oggenc (scripts/setup-debian.sh installs opus-tools and vorbis-tools)");
        return Ok(());
    }
    let work = root().join("target/bitig/bench-speech");
    std::fs::create_dir_all(&work)?;
    let inputs = bitig_typeset::Inputs::new(&root().join("assets"));
    let sources = bitig_typeset::load_sources(&inputs).map_err(|e| anyhow::anyhow!("{e}"))?;
    let speaker = bitig_speech::Speaker::new(
        &root().join("assets/speech"),
        Some(root().join("target/bitig/speech-cache")),
    )?;
    let t0 = Instant::now();
    let mut pcm = Vec::new();
    for st in &sources.statements {
        for b in &st.blocks {
            let s = speaker.speak(
                &b.text,
                st.lang,
                bitig_speech::NORMAL_WPM,
                bitig_speech::PARAGRAPH_PAUSE_MS,
            )?;
            pcm.extend_from_slice(&s.pcm);
        }
    }
    let rate = bitig_speech::espeak::RATE;
    let hours = pcm.len() as f64 / f64::from(rate) / 3600.0;
    println!(
        "10. speech codecs: {} editions, {:.1} min of speech ({} sentences synthesized, {} from the cache, {:.1} s)",
        sources.statements.len(),
        hours * 60.0,
        speaker.synthesized.get(),
        speaker.cached.get(),
        t0.elapsed().as_secs_f64()
    );
    let wav = work.join("speech.wav");
    std::fs::write(&wav, bitig_speech::wav_bytes(&pcm, rate))?;
    for (name, ext, tool, args, dash_o) in CODECS {
        let out = work.join(format!(
            "{}.{ext}",
            name.split(' ').take(2).collect::<Vec<_>>().join("-")
        ));
        let mut c = Command::new(tool);
        c.args(args);
        if dash_o {
            c.arg("-o").arg(&out).arg(&wav);
        } else {
            c.arg(&wav).arg(&out);
        }
        anyhow::ensure!(c.status()?.success(), "{tool} failed on {}", wav.display());
        let per_hour = std::fs::metadata(&out)?.len() as f64 / hours;
        let fig = format!("speech, {name}: bytes per hour of speech");
        row(
            rows,
            &fig,
            format!("{:.2} MB", per_hour / 1e6),
            "≤ 10 MB",
            Some(per_hour <= SPEECH_BYTES_PER_HOUR),
        );
        for (target, counter, bin, available) in count_targets("bitig-codecbench") {
            if !available || !bin.exists() {
                println!("  {name}, {target}: skipped (no {})", bin.display());
                continue;
            }
            let n =
                |secs: &str| count_instructions(counter, &bin, &[out.as_os_str(), secs.as_ref()]);
            let per_s = (n("10")?.saturating_sub(n("0")?)) as f64 / 10.0;
            decode_row(
                rows,
                &format!("speech, {name}: instructions per decoded second, {target}"),
                per_s,
            );
        }
    }
    stretch_time(rows, &pcm, rate)?;
    let bundle = speech_build_time(rows)?;
    speed_bytes(rows, &bundle)?;
    voice_instructions(rows, &bundle)
}

/// A narrator's recording reaches the slow and fast speeds by a WSOLA time-stretch at build
/// time (`bitig_speech::stretch`): its time here, on the first ten minutes of the voice's
/// speech resampled to the part's 16 kHz, to both speeds, as seconds per hour of recording.
/// Done on the board instead, the same work would run beside the decoder for every second
/// played (the note in docs/performance.md).
fn stretch_time(rows: &mut Vec<Row>, pcm: &[i16], rate: u32) -> Result<()> {
    let ten = pcm.len().min(rate as usize * 600);
    let at = bitig_speech::part::RATE;
    let pcm = bitig_speech::part::resample(&pcm[..ten], rate, at)?;
    let secs = pcm.len() as f64 / f64::from(at);
    let t0 = Instant::now();
    let mut out = 0usize;
    for wpm in [bitig_speech::WPM[0], bitig_speech::WPM[2]] {
        let factor = f64::from(bitig_speech::NORMAL_WPM) / f64::from(wpm);
        out += bitig_speech::stretch::stretch(&pcm, at, factor).len();
    }
    let took = t0.elapsed().as_secs_f64();
    row(
        rows,
        "speech: a recording stretched to the slow and fast speeds (WSOLA, build time, this machine)",
        format!(
            "{:.1} s per hour of recording ({:.1} min in, {:.1} min out, {took:.2} s)",
            took / secs * 3600.0,
            secs / 60.0,
            out as f64 / f64::from(at) / 60.0
        ),
        "—",
        None,
    );
    Ok(())
}

/// What the three speeds cost in the part: each is synthesized (espeak-ng keeps the pitch),
/// so the board decodes a slow or fast track exactly as a normal one (the voice's rows below)
/// and the cost is bytes. The packets of each speed, against the normal speed's.
fn speed_bytes(rows: &mut Vec<Row>, bundle: &Path) -> Result<()> {
    let bytes = std::fs::read(bundle.with_extension("speech"))?;
    let part = bitig_format::speech::Speech::from_speech_bytes(&bytes)?;
    let mut per_speed = [(0usize, 0u64); bitig_format::speech::SPEEDS as usize];
    for t in &part.tracks {
        if let Some(p) = per_speed.get_mut(usize::from(t.speed)) {
            p.0 += t.packets.len();
            p.1 += u64::from(t.samples);
        }
    }
    let normal = per_speed[usize::from(bitig_format::speech::NORMAL_SPEED)];
    for (name, (b, samples)) in ["slow", "normal", "fast"].iter().zip(per_speed) {
        let minutes = samples as f64 / f64::from(part.rate) / 60.0;
        row(
            rows,
            &format!("speech part: the {name} speed's packets (landscape bundle)"),
            format!(
                "{:.2} MB, {minutes:.1} min ({:.2}× the normal speed's bytes)",
                b as f64 / 1e6,
                b as f64 / normal.0.max(1) as f64
            ),
            "—",
            None,
        );
    }
    row(
        rows,
        "speech part: the whole file, three speeds (landscape bundle)",
        format!("{:.2} MB", bytes.len() as f64 / 1e6),
        "—",
        None,
    );
    Ok(())
}

/// The speech part's added build time: `bitig build` of the landscape profile without it
/// (`--no-speech`), with it from empty caches, and with it again (cached), one run each.
/// Returns the bundle with its speech part beside it.
fn speech_build_time(rows: &mut Vec<Row>) -> Result<PathBuf> {
    let bitig = root().join("target/release/bitig");
    anyhow::ensure!(
        bitig.exists(),
        "no {} (scripts/bench builds it)",
        bitig.display()
    );
    let work = root().join("target/bitig/bench-speech");
    let cache = work.join("fresh-cache");
    let _ = std::fs::remove_dir_all(&cache);
    let bundle = work.join("voice-800x480.bundle");
    let time = |extra: &[&str]| -> Result<f64> {
        let t = Instant::now();
        let o = Command::new(&bitig)
            .current_dir(root())
            .env("BITIG_SPEECH_CACHE", &cache)
            .args(["build", "--profile", "pi-touch-800x480", "--out"])
            .arg(&bundle)
            .args(extra)
            .output()?;
        anyhow::ensure!(
            o.status.success(),
            "bitig build failed: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        Ok(t.elapsed().as_secs_f64())
    };
    let without = time(&["--no-speech"])?;
    let fresh = time(&[])?;
    let cached = time(&[])?;
    for (what, secs) in [("empty caches", fresh), ("cached", cached)] {
        row(
            rows,
            &format!("speech part: added build time, {what} (bitig build, release, this machine)"),
            format!("{:.1} s (build without it: {without:.1} s)", secs - without),
            "—",
            None,
        );
    }
    Ok(bundle)
}

/// The voice on the kiosk (`bitig-voicebench`): the instructions from Action to the first
/// sample, and per second of reading as the device renders it (libopus at 48 kHz, gain).
fn voice_instructions(rows: &mut Vec<Row>, bundle: &Path) -> Result<()> {
    for (target, counter, bin, available) in count_targets("bitig-voicebench") {
        if !available || !bin.exists() {
            println!("  voice, {target}: skipped (no {})", bin.display());
            continue;
        }
        let n = |mode: &str, times: u64| {
            let times = times.to_string();
            count_instructions(
                counter,
                &bin,
                &[mode.as_ref(), times.as_ref(), bundle.as_os_str()],
            )
        };
        const TRIES: u64 = 20;
        let first = (n("first", TRIES)?.saturating_sub(n("first", 0)?)) as f64 / TRIES as f64;
        row(
            rows,
            &format!("speech, Action to the first sample: instructions, {target}"),
            format!(
                "{:.2} M ({:.2} ms of an A53 at 1.2 GHz)",
                first / 1e6,
                first / 1.2e6
            ),
            "≤ 24 M (one 20 ms period)",
            Some(first <= 0.02 * 1.2e9),
        );
        let per_s = (n("play", 10)?.saturating_sub(n("play", 0)?)) as f64 / 10.0;
        decode_row(
            rows,
            &format!("speech, the kiosk's voice (48 kHz, gain): instructions per second of reading, {target}"),
            per_s,
        );
    }
    Ok(())
}

/// A row of instructions per second of speech, against the decode budget (2% of an A53).
fn decode_row(rows: &mut Vec<Row>, figure: &str, per_s: f64) {
    row(
        rows,
        figure,
        format!(
            "{:.2} M ({:.2}% of an A53 at 1.2 GHz)",
            per_s / 1e6,
            per_s / 1.2e9 * 100.0
        ),
        "≤ 24 M (2%)",
        Some(per_s <= DECODE_INSTRUCTIONS_PER_S),
    );
}
