//! `bitig-kiosk`: with no arguments, the simulator on the default bundle (built if missing).
//!
//! ```text
//! bitig-kiosk [--config FILE] [--bundle FILE] [--profile NAME]
//!             [--headless] [--script FILE] [--screenshot DIR] [--hash-pin PIN]
//!             [--rotation 0|90|180|270] [--watch]
//! ```
//!
//! `--watch` (the simulator): show each new version of the bundle in place, and the error
//! banner `bitig watch` writes beside it (`scripts/simulator --watch`).

use anyhow::{bail, Context, Result};
use bitig_kiosk::app::Kiosk;
use bitig_kiosk::config::Config;
use bitig_kiosk::content::{load_bundle_checked, LoadError};
use bitig_kiosk::platform;
use bitig_kiosk::script::{self, Step};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Default)]
struct Args {
    config: Option<PathBuf>,
    bundle: Option<PathBuf>,
    profile: Option<String>,
    headless: bool,
    script: Option<PathBuf>,
    screenshot: Option<PathBuf>,
    hash_pin: Option<String>,
    pin_salt: Option<String>,
    soak: Option<u64>,
    seed: u64,
    real_time: bool,
    audio_out: Option<PathBuf>,
    rotation: Option<bitig_kiosk::config::Rotation>,
    watch: bool,
}

const USAGE: &str = "usage: bitig-kiosk [--config FILE] [--bundle FILE] [--profile NAME] [--headless] [--script FILE] [--screenshot DIR] [--hash-pin PIN [--pin-salt SALT]] [--soak EVENTS [--seed N]] [--real-time] [--audio-out FILE.wav] [--rotation 0|90|180|270] [--watch]";

fn parse_args() -> Result<Args> {
    let mut a = Args::default();
    let mut it = std::env::args_os().skip(1);
    while let Some(arg) = it.next() {
        let arg = arg.to_string_lossy().into_owned();
        let mut value = |name: &str| -> Result<String> {
            it.next()
                .map(|v| v.to_string_lossy().into_owned())
                .with_context(|| format!("{name} needs a value\n{USAGE}"))
        };
        match arg.as_str() {
            "--config" => a.config = Some(value("--config")?.into()),
            "--bundle" => a.bundle = Some(value("--bundle")?.into()),
            "--profile" => a.profile = Some(value("--profile")?),
            "--headless" => a.headless = true,
            "--watch" => a.watch = true,
            "--real-time" => a.real_time = true,
            "--script" => a.script = Some(value("--script")?.into()),
            "--audio-out" => a.audio_out = Some(value("--audio-out")?.into()),
            "--screenshot" => a.screenshot = Some(value("--screenshot")?.into()),
            "--hash-pin" => a.hash_pin = Some(value("--hash-pin")?),
            "--pin-salt" => a.pin_salt = Some(value("--pin-salt")?),
            "--rotation" => {
                let v = value("--rotation")?;
                let r = v
                    .parse()
                    .ok()
                    .and_then(bitig_kiosk::config::Rotation::from_degrees);
                a.rotation = Some(r.with_context(|| {
                    format!("--rotation {v}: not 0, 90, 180 or 270 (the panel's clockwise rotation in degrees)")
                })?);
            }
            "--soak" => {
                let v = value("--soak")?;
                a.soak = Some(
                    v.parse()
                        .with_context(|| format!("--soak {v}: not a number"))?,
                );
            }
            "--seed" => {
                let v = value("--seed")?;
                a.seed = v
                    .parse()
                    .with_context(|| format!("--seed {v}: not a number"))?;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown argument `{other}`\n{USAGE}"),
        }
    }
    Ok(a)
}

/// The source tree this binary was built from (for the simulator's default bundle).
fn source_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where the bundle is: `--bundle`, the config, or the default for this build.
fn bundle_path(args: &Args, config: &Config) -> PathBuf {
    if let Some(b) = args.bundle.clone().or_else(|| config.bundle.clone()) {
        return b;
    }
    if cfg!(feature = "device") {
        PathBuf::from("/var/lib/bitig/current.bundle")
    } else {
        source_root()
            .join("target/bitig")
            .join(format!("{}.bundle", config.profile))
    }
}

/// A newcomer runs `cargo run -p bitig-kiosk` before any bundle exists: build it.
fn build_default_bundle(path: &Path, profile: &str) -> Result<()> {
    eprintln!(
        "bitig-kiosk: {} is missing; building it with `bitig build`",
        path.display()
    );
    let status =
        std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .current_dir(source_root())
            .args([
                "run",
                "-q",
                "-p",
                "bitig",
                "--",
                "build",
                "--profile",
                profile,
                "--out",
            ])
            .arg(path)
            .status()
            .context("cannot run cargo to build the default bundle")?;
    if !status.success() {
        bail!("building the default bundle failed ({status})");
    }
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("bitig-kiosk: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<ExitCode> {
    let args = parse_args()?;
    if let Some(pin) = &args.hash_pin {
        let salt = args.pin_salt.as_deref().unwrap_or("");
        let h = bitig_format::pin::pin_hash(salt.as_bytes(), pin);
        if !salt.is_empty() {
            println!("pin_salt = \"{salt}\"");
        }
        println!("pin_blake3 = \"{}\"", bitig_format::hex::to_hex(&h));
        return Ok(ExitCode::SUCCESS);
    }
    // A config that cannot be used never blanks the screen: the kiosk starts with default
    // settings and shows the maintenance screen with E-CONFIG and where the fault is.
    let (mut config, config_error) = match Config::load_checked(args.config.as_deref()) {
        Ok((c, warnings)) => {
            for w in &warnings {
                eprintln!("bitig-kiosk: config warning: {w}");
            }
            let mut c = c;
            if !warnings.is_empty() {
                c.startup_issue = Some(("W-CONFIG", warnings.join("; ")));
            }
            (c, None)
        }
        Err(e) => {
            eprintln!("bitig-kiosk: config refused [E-CONFIG]: {e}; running with default settings");
            (Config::defaults(), Some(e))
        }
    };
    if let Some(p) = &args.profile {
        config.profile = p.clone();
    }
    if let Some(r) = args.rotation {
        config.rotation = r;
    }
    let explicit = args.bundle.is_some() || config.bundle.is_some();
    let loaded: Result<_, LoadError> = match (&config.content_dir, explicit) {
        // The device: A/B content slots, with rollback and crash-loop fallback.
        (Some(dir), false) => {
            let fs = &mut bitig_kiosk::content::RealFs;
            let (boot_id, uptime) = bitig_kiosk::content::boot_clock();
            let looping = bitig_kiosk::content::record_start(dir, &boot_id, uptime, fs);
            let sel = bitig_kiosk::content::select(dir, &config.trusted_keys, looping, fs);
            for n in &sel.notes {
                eprintln!("bitig-kiosk: {n}");
            }
            // The journal says which content is on the screen (the QEMU boot test reads it).
            let showing = match &sel.loaded {
                Ok(l) => format!("bundle {}", l.hash),
                Err(e) => format!("no bundle [{}]", e.code),
            };
            eprintln!(
                "bitig-kiosk: content slot {} in {}: {showing}",
                sel.slot.name(),
                dir.display()
            );
            if let Some(code) = sel.recovered_from {
                config.startup_issue = Some((code, sel.notes.join("; ")));
            }
            sel.loaded
        }
        _ => {
            let path = bundle_path(&args, &config);
            if !explicit && !args.headless && !cfg!(feature = "device") && !path.exists() {
                build_default_bundle(&path, &config.profile)?;
            }
            load_bundle_checked(&path, &config.trusted_keys)
        }
    };
    // Before anything is sized from it (page buffers), the bundle must fit the panel.
    let loaded = loaded
        .and_then(|l| bitig_kiosk::content::check_panel(&l.bundle, &config.profile).map(|()| l));
    let loaded = match config_error {
        Some(e) => {
            if let Err(le) = &loaded {
                eprintln!("bitig-kiosk: content: [{}] {}", le.code, le.message);
            }
            Err(LoadError {
                code: "E-CONFIG",
                message: e.0,
            })
        }
        None => loaded,
    };
    if let Ok(l) = &loaded {
        if l.bundle.profile.name != config.profile {
            eprintln!(
                "bitig-kiosk: note: the bundle was laid out for profile {}, the config says {}",
                l.bundle.profile.name, config.profile
            );
        }
    }
    let headless_run =
        args.soak.is_some() || args.headless || args.script.is_some() || args.screenshot.is_some();
    if headless_run {
        // The headless kiosk (tests, screenshots, benchmarks) uses the device's folders only
        // if its config names them: a device build run headless on a host must not write to
        // /var/lib/bitig, nor watch /media/bitig-usb. (It also keeps such runs free of the
        // worker threads, which hang the aarch64 build under Debian 12's qemu-user 7.2.)
        if !config.set_in_file.contains(&"content_dir") {
            config.content_dir = None;
        }
        if !config.set_in_file.contains(&"usb_dir") {
            config.usb_dir = None;
        }
    }
    if args.watch && (headless_run || cfg!(feature = "device")) {
        bail!("--watch is the simulator's (the editor's live preview); leave it out here");
    }
    if let Some(events) = args.soak {
        return soak(events, args.seed, loaded, config);
    }
    if headless_run {
        return headless(&args, loaded, config);
    }
    let watch = args.watch.then(|| bundle_path(&args, &config));
    interactive(loaded, config, watch)
}

#[cfg(any(feature = "simulator", feature = "device"))]
fn interactive(
    loaded: Result<bitig_kiosk::content::Loaded, LoadError>,
    config: Config,
    watch: Option<PathBuf>,
) -> Result<ExitCode> {
    #[cfg(feature = "device")]
    let display = platform::device::select(config.rotation)?;
    #[cfg(all(feature = "simulator", not(feature = "device")))]
    let simulator = platform::simulator::select(config.rotation)?;
    let content_dir = config.content_dir.clone();
    let trusted = config.trusted_keys.clone();
    let voice = platform::sound::playback(&config, !cfg!(feature = "device"));
    let options = bitig_kiosk::app::Options {
        report_idle: true,
        own_key_input: cfg!(feature = "device"),
        audio_out: voice.map(|p| Box::new(p) as Box<dyn bitig_kiosk::audio::Sink>),
        ..Default::default()
    };
    let kiosk = Kiosk::with_options(loaded, config, platform::wall_clock(), options)?;
    #[cfg(feature = "device")]
    platform::device::read_keys(&kiosk)?;
    // A USB headset or keypad plugged in at the attract screen: the welcome is said.
    platform::sound::watch(&kiosk);
    if let Some(bundle) = &watch {
        kiosk
            .watch(bundle, trusted)
            .with_context(|| format!("--watch: cannot watch {}", bundle.display()))?;
        eprintln!(
            "bitig-kiosk: watching {}: each new version is shown in place",
            bundle.display()
        );
    }
    // systemd: READY=1 once the first frame is on the screen, then watchdog heartbeats from
    // the UI thread (a hung UI stops them and systemd restarts the kiosk).
    //
    // The software renderer has no "frame drawn" notifier, so this relies on the order of
    // one turn of the event loop (the kiosk's own DRM loop, platform/drm.rs, and Slint
    // 1.18's linuxkms `run_event_loop` alike: timers, then the closures queued with
    // `invoke_from_event_loop`, then the draw, which presents the window, then the wait for
    // events). A zero timer fires in the first turn, before that turn draws; the closure it
    // queues runs in the second turn, after the first frame was presented.
    let notifier = std::sync::Arc::new(bitig_kiosk::notify::Notifier::from_env());
    {
        let n = notifier.clone();
        slint::Timer::single_shot(std::time::Duration::ZERO, move || {
            let queued = slint::invoke_from_event_loop(move || {
                eprintln!("bitig-kiosk: first frame shown");
                n.send("READY=1");
            });
            if let Err(e) = queued {
                eprintln!("bitig-kiosk: cannot tell systemd the kiosk is ready: {e}");
            }
        });
    };
    // The heartbeat is one of the kiosk's deadlines (app::Heartbeat): on the attract screen it
    // rides on the language cycle's wake-ups instead of waking the board on its own.
    if let Some(every) = bitig_kiosk::notify::watchdog_interval() {
        let n = notifier.clone();
        kiosk.set_heartbeat(every, Box::new(move || n.send("WATCHDOG=1")));
    }
    // systemd stops the kiosk with SIGTERM (shutdown, restart): leave the event loop, so the
    // statistics are written before the process ends.
    let signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGINT,
    ]);
    let _signal_thread = match signals {
        Ok(mut signals) => std::thread::Builder::new()
            .name("bitig-signals".into())
            .spawn(move || {
                if let Some(sig) = signals.forever().next() {
                    eprintln!("bitig-kiosk: signal {sig}: stopping");
                    let _ = slint::invoke_from_event_loop(|| {
                        let _ = slint::quit_event_loop();
                    });
                }
            })
            .ok(),
        Err(e) => {
            eprintln!("bitig-kiosk: cannot watch for SIGTERM ({e}); statistics are kept once a minute only");
            None
        }
    };
    #[cfg(feature = "device")]
    platform::device::run(display, &kiosk)?;
    #[cfg(all(feature = "simulator", not(feature = "device")))]
    platform::simulator::run(simulator, &kiosk)?;
    notifier.send("STOPPING=1");
    kiosk.shutdown();
    // A restart from the operator menu exits with 3; systemd (Restart=always) starts us again.
    Ok(if kiosk.restart_requested() {
        intended_restart(content_dir.as_deref());
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

/// The kiosk restarts because it was asked to: that start is not a crash (content slots only).
fn intended_restart(content_dir: Option<&std::path::Path>) {
    if let Some(dir) = content_dir {
        let (boot_id, _) = bitig_kiosk::content::boot_clock();
        bitig_kiosk::content::forget_start(dir, &boot_id, &mut bitig_kiosk::content::RealFs);
    }
}

#[cfg(not(any(feature = "simulator", feature = "device")))]
fn interactive(
    _: Result<bitig_kiosk::content::Loaded, LoadError>,
    _: Config,
    _: Option<PathBuf>,
) -> Result<ExitCode> {
    bail!("this build has neither the simulator nor the device backend; use --headless")
}

fn headless(
    args: &Args,
    loaded: Result<bitig_kiosk::content::Loaded, LoadError>,
    config: Config,
) -> Result<ExitCode> {
    let steps = match &args.script {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read script {}", p.display()))?;
            script::parse(p, &text)?
        }
        None => vec![Step::Shot("screen".into())],
    };
    let shots = args
        .screenshot
        .clone()
        .unwrap_or_else(|| PathBuf::from("."));
    let (mut h, clock) = platform::headless::Headless::install(config.rotation)?;
    let record = bitig_kiosk::audio::PcmSink::default();
    let mut options = lockstep();
    if args.audio_out.is_some() {
        options.audio_out = Some(Box::new(record.clone()));
    }
    let kiosk = Kiosk::with_options(loaded, config, clock, options)?;
    let by_name = steps
        .iter()
        .any(|s| matches!(s, Step::Controls | Step::TapOn(_)));
    if by_name {
        kiosk.record_controls();
    }
    h.attach(&kiosk)?;
    // Controls as laid out: the latest rectangle per name, and those not printed yet.
    let mut known = std::collections::HashMap::new();
    let mut unprinted = Vec::new();
    for step in steps {
        if by_name {
            for c in kiosk.take_controls() {
                known.insert(c.0.clone(), (c.1, c.2, c.3, c.4));
                unprinted.push(c);
            }
        }
        if h.quit_requested() {
            break; // the device's event loop ends here (exit 3 on a restart; systemd restarts it)
        }
        match step {
            Step::Tap(x, y) => h.tap(x, y),
            Step::Press(x, y) => h.press(x, y),
            Step::Move(x, y) => h.move_to(x, y),
            Step::Release(x, y) => h.release(x, y),
            Step::Swipe(x0, y0, x1, y1, ms) => h.swipe((x0, y0), (x1, y1), ms),
            Step::Wait(ms) if args.real_time => h.wait_real(ms),
            Step::Wait(ms) => h.advance(ms),
            Step::Key(_) | Step::Hold(..) | Step::KeyDown(_) | Step::KeyUp(_) => {
                key_step(&mut h, &kiosk, &step)?
            }
            Step::TapOn(name) => match known.get(&name) {
                Some(&(x, y, w, hh)) => {
                    // The centre of the part that is on the screen.
                    let (sw, sh) = kiosk.size();
                    let (x0, x1) = (x.max(0.0), (x + w).min(sw as f32));
                    let (y0, y1) = (y.max(0.0), (y + hh).min(sh as f32));
                    h.tap((x0 + x1) / 2.0, (y0 + y1) / 2.0);
                }
                None => {
                    eprintln!(
                        "bitig-kiosk: tap-on {name}: no such control has been laid out (on the {} screen at {} ms)",
                        script::screen_name(kiosk.screen()),
                        h.now_ms()
                    );
                    return Ok(ExitCode::from(1));
                }
            },
            Step::Controls => {
                for (name, x, y, w, hh) in unprinted.drain(..) {
                    println!(
                        "control {} {x} {y} {w} {hh} on {}",
                        name.replace(' ', "_"),
                        script::screen_name(kiosk.screen())
                    );
                }
            }
            Step::Mark(name) => {
                let (switches, cpu_ms) = bitig_io::proc::wakeups_and_cpu("self");
                println!(
                    "mark {name} t_ms={} voluntary_switches={switches} cpu_ms={cpu_ms}",
                    h.now_ms()
                );
            }
            Step::Shot(name) => {
                std::fs::create_dir_all(&shots)
                    .with_context(|| format!("cannot create {}", shots.display()))?;
                let (w, hh, rgb) = h.frame();
                let path = shots.join(format!("{name}.png"));
                bitig_io::png::write(&path, w, hh, bitig_io::png::Color::Rgb, rgb)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            Step::ExpectSpeaking(_) | Step::Expect(_) => {
                if let Some(failed) = expectation(&kiosk, &h, &step) {
                    eprintln!("bitig-kiosk: {failed}");
                    return Ok(ExitCode::from(1));
                }
            }
        }
    }
    // The statistics are written before the process ends, as on the device.
    kiosk.shutdown();
    if let Some(path) = &args.audio_out {
        write_audio(&kiosk, &record, path)?;
    }
    // Like the device: a requested restart (operator menu, installed update) exits with 3.
    Ok(if kiosk.restart_requested() {
        intended_restart(kiosk.content_dir().as_deref());
        ExitCode::from(3)
    } else {
        ExitCode::SUCCESS
    })
}

/// What an `expect` or `expect-speaking` step found wrong, if anything.
fn expectation(kiosk: &Kiosk, h: &platform::headless::Headless, step: &Step) -> Option<String> {
    match *step {
        Step::ExpectSpeaking(want) => (kiosk.speaking() != want).then(|| {
            format!(
                "expected the voice {} at {} ms, but it is {}",
                if want { "speaking" } else { "silent" },
                h.now_ms(),
                if want { "silent" } else { "speaking" }
            )
        }),
        Step::Expect(want) => {
            let got = kiosk.screen();
            (got != want).then(|| {
                format!(
                    "expected the {} screen at {} ms, but the {} screen is up",
                    script::screen_name(want),
                    h.now_ms(),
                    script::screen_name(got)
                )
            })
        }
        _ => None,
    }
}

/// `--audio-out`: every sample the voice gave, up to now, as a WAV file.
fn write_audio(kiosk: &Kiosk, record: &bitig_kiosk::audio::PcmSink, path: &Path) -> Result<()> {
    kiosk.speaking(); // renders the voice up to the end
    let pcm = record.0.lock().map(|v| v.clone()).unwrap_or_default();
    let wav = bitig_io::wav::wav_bytes(&pcm, bitig_kiosk::audio::OUT_RATE);
    bitig_io::durable::write(path, &wav).with_context(|| format!("cannot write {}", path.display()))
}

/// The shortest `--soak` whose resident memory is judged.
const SOAK_JUDGED: u64 = 500_000;

/// `--soak N`: random touches into the headless kiosk (src/soak.rs). Exit 1 on a stuck state,
/// or (runs of `SOAK_JUDGED` events or more) if the floor of resident anonymous memory at
/// rest grew by 1 MiB or more after the warm-up.
fn soak(
    events: u64,
    seed: u64,
    loaded: Result<bitig_kiosk::content::Loaded, LoadError>,
    config: Config,
) -> Result<ExitCode> {
    let (mut h, clock) = platform::headless::Headless::install(config.rotation)?;
    let kiosk = Kiosk::with_options(loaded, config, clock, lockstep())?;
    h.attach(&kiosk)?;
    let t0 = std::time::Instant::now();
    let r = match bitig_kiosk::soak::run(&mut h, &kiosk, events, seed, &|| 0) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("bitig-kiosk: soak FAILED: {e:#}");
            return Ok(ExitCode::from(1));
        }
    };
    let growth = r.growth(|s| s.0);
    let first = r.samples.first().map_or(0, |s| s.0);
    let last = r.samples.last().map_or(0, |s| s.0);
    println!(
        "soak: {} events (seed {seed}), {} frames rendered, {} idle checks, {:.1} h of virtual time, {:.1} s\n\
         soak: screens visited (attract, language, library, reader, pin, operator, test, maintenance, contents, page grid): {:?}\n\
         soak: resident anonymous memory at rest after warm-up {first} KiB, at the end {last} KiB, growth of the floor {growth} KiB ({} samples); peak RSS {} KiB",
        r.events,
        r.frames,
        r.idle_checks,
        r.virtual_ms as f64 / 3.6e6,
        t0.elapsed().as_secs_f64(),
        r.screens_seen,
        r.samples.len(),
        bitig_io::proc::peak_rss_kib().unwrap_or(0)
    );
    // Resident memory moves by megabytes with what glibc keeps or returns, and settles only
    // after a few hundred thousand events (seed 1, resident anonymous memory's floor at rest:
    // +1,896 KiB over 200,000 events, -4 KiB over 1,000,000), so only a long run can tell a
    // leak by it. The CI soak (tests/soak.rs) judges live heap bytes instead.
    if events < SOAK_JUDGED {
        println!("soak: resident memory not judged (fewer than {SOAK_JUDGED} events)");
    } else if growth >= 1024 {
        eprintln!("bitig-kiosk: soak FAILED: resident anonymous memory at rest grew by {growth} KiB (limit 1024)");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// The headless kiosk's clock is virtual: the update worker keeps step with it.
/// A script's key step: `key`, `hold`, `key-down` or `key-up`.
fn key_step(h: &mut platform::headless::Headless, kiosk: &Kiosk, step: &Step) -> Result<()> {
    let (Step::Key(k) | Step::Hold(k, _) | Step::KeyDown(k) | Step::KeyUp(k)) = *step else {
        return Ok(());
    };
    let code = match k {
        script::KeyName::Code(c) => Some(c),
        script::KeyName::Key(k) => kiosk.code_for(k),
    };
    let Some(code) = code else {
        bail!("the config's [keys] gives {k:?} no key; map it or name a Linux key (KEY_ENTER)");
    };
    match step {
        Step::KeyDown(_) | Step::KeyUp(_) => {
            kiosk.key(code, matches!(step, Step::KeyDown(_)));
            h.advance(platform::headless::STEP_MS);
        }
        Step::Hold(_, ms) => h.key(kiosk, code, *ms),
        _ => h.key(kiosk, code, 60),
    }
    Ok(())
}

fn lockstep() -> bitig_kiosk::app::Options {
    bitig_kiosk::app::Options {
        lockstep_updates: true,
        ..Default::default()
    }
}
