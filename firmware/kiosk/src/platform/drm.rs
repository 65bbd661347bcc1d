//! The board's display, driven by the kiosk itself over DRM/KMS (in place of Slint's
//! linuxkms backend, which owns its renderer and its buffers).
//!
//! - Two dumb buffers in XRGB8888 that take turns ([`SwapChain`]): Slint renders what
//!   changed into a frame in memory, the back buffer gets a copy of what it lacks, and a page
//!   flip puts it on the panel at the next vblank.
//! - During a page turn's slide, the two pages are copied into the back buffer at the offset
//!   for the time the frame will be *shown*: the last flip's time plus one refresh period. A frame is drawn as soon as the previous flip completes, so the slide
//!   runs at the panel's refresh rate, paced by its vblank; a late frame shows the slide
//!   further on, never slower.
//! - Touch and absolute pointers (the boot test's virtio tablet) come from libinput;
//!   keys are read by [`super::device::read_keys`] as before.
//!
//! Nothing runs on a fixed beat: the loop sleeps in `poll` until libinput, a wake-up from
//! another thread, Slint's next timer or, while a page slides, the DRM device (a flip done).
//! A still screen's frame costs one wake-up: its flip's event is read before the next draw,
//! not waited for.

use super::pointer::Pointer;
use super::swap::SwapChain;
use crate::app::Kiosk;
use crate::clock::Clock;
use crate::config::Rotation;
use crate::slide::{Layer, Xrgb8888};
use anyhow::{anyhow, Context};
use drm::buffer::{Buffer, DrmFourcc};
use drm::control::dumbbuffer::{DumbBuffer, DumbMapping};
use drm::control::{connector, crtc, framebuffer, Device as _, Mode};
use input::event::pointer::{ButtonState, PointerEvent};
use input::event::touch::{TouchEvent, TouchEventPosition, TouchEventSlot};
use input::event::Event;
use rustix::event::{PollFd, PollFlags};
use slint::platform::software_renderer::{
    MinimalSoftwareWindow, RenderingRotation, RepaintBufferType,
};
use slint::platform::{WindowAdapter, WindowEvent};
use std::fs::{File, OpenOptions};
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Opens input devices as libinput asks, with the kiosk's own permissions.
pub(super) struct Open;

impl input::LibinputInterface for Open {
    fn open_restricted(&mut self, path: &Path, flags: i32) -> Result<OwnedFd, i32> {
        const ACCESS: i32 = 3; // O_ACCMODE: O_RDONLY 0, O_WRONLY 1, O_RDWR 2
        let access = flags & ACCESS;
        OpenOptions::new()
            .read(access != 1)
            .write(access != 0)
            .custom_flags(flags & !ACCESS)
            .open(path)
            .map(OwnedFd::from)
            .map_err(|e| e.raw_os_error().unwrap_or(5))
    }

    fn close_restricted(&mut self, fd: OwnedFd) {
        drop(File::from(fd));
    }
}

/// How long a queued flip may take before the loop stops waiting for it (a flip is one
/// refresh period, 17 ms at 60 Hz).
const FLIP_LOST: Duration = Duration::from_millis(200);

/// A DRM card, opened read-write.
struct Card(File);

impl AsFd for Card {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.0.as_fd()
    }
}
impl drm::Device for Card {}
impl drm::control::Device for Card {}

/// One of the two buffers the panel scans out, mapped once for the life of the process (a
/// mapping per frame would cost a page fault per 4 KB of it, each frame).
struct Scanout {
    map: DumbMapping<'static>,
    /// Pixels a line (the driver may pad lines).
    pitch: usize,
    fb: framebuffer::Handle,
}

/// The panel: the card, the mode on its connector, the two buffers.
struct Output {
    card: Card,
    crtc: crtc::Handle,
    connector: connector::Handle,
    mode: Mode,
    buffers: [Scanout; 2],
    /// A flip is queued and not yet done: the other buffer is still on show.
    flip_pending: bool,
    /// When it was queued: a flip that never completes must not stop the screen.
    flip_queued: Instant,
    /// Page flips the driver refused (each frame then went out by a mode set).
    flips_refused: u64,
    set_up: bool,
    /// One refresh period, in ms.
    period_ms: f64,
}

impl Output {
    /// The first card with a connected connector and dumb buffers in XRGB8888.
    fn open() -> anyhow::Result<Output> {
        let mut why = Vec::new();
        let mut cards: Vec<_> = std::fs::read_dir("/dev/dri")
            .context("cannot list /dev/dri (is the GPU's driver loaded?)")?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("card"))
            })
            .collect();
        cards.sort();
        for path in cards {
            match Output::open_card(&path) {
                Ok(o) => return Ok(o),
                Err(e) => why.push(format!("{}: {e:#}", path.display())),
            }
        }
        Err(anyhow!("no usable display: {}", why.join("; ")))
    }

    fn open_card(path: &std::path::Path) -> anyhow::Result<Output> {
        let card = Card(
            std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)?,
        );
        let res = card.resource_handles().context("no KMS resources")?;
        let info = res
            .connectors()
            .iter()
            .filter_map(|&h| card.get_connector(h, false).ok())
            .find(|c| c.state() == connector::State::Connected)
            .ok_or_else(|| anyhow!("no connected connector"))?;
        let mode = *info
            .modes()
            .iter()
            .max_by_key(|m| {
                let preferred = m
                    .mode_type()
                    .contains(drm::control::ModeTypeFlags::PREFERRED);
                let (w, h) = m.size();
                (preferred, u32::from(w) * u32::from(h))
            })
            .ok_or_else(|| anyhow!("the connector has no mode"))?;
        let encoder = info
            .current_encoder()
            .and_then(|e| card.get_encoder(e).ok());
        let crtc = match encoder.and_then(|e| e.crtc()) {
            Some(c) => c,
            None => info
                .encoders()
                .iter()
                .filter_map(|&e| card.get_encoder(e).ok())
                .flat_map(|e| res.filter_crtcs(e.possible_crtcs()))
                .next()
                .ok_or_else(|| anyhow!("no CRTC for the connector"))?,
        };
        let (w, h) = mode.size();
        let buffers = [
            Scanout::new(&card, (u32::from(w), u32::from(h)))?,
            Scanout::new(&card, (u32::from(w), u32::from(h)))?,
        ];
        Ok(Output {
            card,
            crtc,
            connector: info.handle(),
            mode,
            buffers,
            flip_pending: false,
            flip_queued: Instant::now(),
            flips_refused: 0,
            set_up: false,
            period_ms: period_ms(&mode),
        })
    }

    /// Puts buffer `i` on the panel: the mode is set with the first frame, and every later
    /// frame is a page flip at the next vblank.
    fn show(&mut self, i: usize) -> anyhow::Result<()> {
        let fb = self.buffers[i].fb;
        if self.set_up {
            match self
                .card
                .page_flip(self.crtc, fb, drm::control::PageFlipFlags::EVENT, None)
            {
                Ok(()) => {
                    self.flip_pending = true;
                    self.flip_queued = Instant::now();
                    return Ok(());
                }
                // The frame still goes on the panel, by a mode set (it may tear): the screen
                // never stays behind because a flip was refused.
                Err(e) => {
                    self.flips_refused += 1;
                    if self.flips_refused.is_power_of_two() {
                        eprintln!(
                            "bitig-kiosk: page flip refused ({e}; {} so far); setting the frame instead",
                            self.flips_refused
                        );
                    }
                }
            }
        }
        self.card
            .set_crtc(
                self.crtc,
                Some(fb),
                (0, 0),
                &[self.connector],
                Some(self.mode),
            )
            .context("cannot set the display mode")?;
        self.set_up = true;
        Ok(())
    }

    /// Reads the card's events: returns the time of the last completed flip (CLOCK_MONOTONIC).
    fn flips_done(&mut self) -> Option<Duration> {
        let mut last = None;
        if let Ok(events) = self.card.receive_events() {
            for e in events {
                if let drm::control::Event::PageFlip(f) = e {
                    self.flip_pending = false;
                    last = Some(f.duration);
                }
            }
        }
        last
    }
}

impl Scanout {
    fn new(card: &Card, size: (u32, u32)) -> anyhow::Result<Scanout> {
        let buffer = card
            .create_dumb_buffer(size, DrmFourcc::Xrgb8888, 32)
            .context("cannot make a dumb buffer in XRGB8888")?;
        let fb = card
            .add_framebuffer(&buffer, 24, 32)
            .context("cannot make a frame buffer")?;
        let pitch = buffer.pitch() as usize / 4;
        // The buffer lives as long as the process: its mapping may too.
        let buffer: &'static mut DumbBuffer = Box::leak(Box::new(buffer));
        let map = card
            .map_dumb_buffer(buffer)
            .context("cannot map the frame buffer")?;
        Ok(Scanout { map, pitch, fb })
    }
}

/// One refresh period of `mode`, in ms, from its pixel clock (60 Hz if it gives none).
fn period_ms(mode: &Mode) -> f64 {
    let (_, _, htotal) = mode.hsync();
    let (_, _, vtotal) = mode.vsync();
    let clock_khz = f64::from(mode.clock());
    let per_frame = f64::from(htotal) * f64::from(vtotal);
    if clock_khz > 0.0 && per_frame > 0.0 {
        per_frame / clock_khz
    } else {
        1000.0 / f64::from(mode.vrefresh().max(1))
    }
}

fn timespec(d: Duration) -> rustix::time::Timespec {
    rustix::time::Timespec {
        tv_sec: d.as_secs() as i64,
        tv_nsec: i64::from(d.subsec_nanos()),
    }
}

/// A closure sent with `slint::invoke_from_event_loop`.
type Queued = Box<dyn FnOnce() + Send>;

/// Closures sent with `slint::invoke_from_event_loop`, and the quit request; an eventfd
/// wakes the loop for both.
#[derive(Clone)]
struct Wake {
    queue: Arc<Mutex<Vec<Queued>>>,
    quit: Arc<AtomicBool>,
    fd: Arc<OwnedFd>,
}

impl Wake {
    fn poke(&self) {
        let _ = rustix::io::write(&*self.fd, &1u64.to_ne_bytes());
    }
}

impl slint::platform::EventLoopProxy for Wake {
    fn quit_event_loop(&self) -> Result<(), slint::EventLoopError> {
        self.quit.store(true, Ordering::SeqCst);
        self.poke();
        Ok(())
    }
    fn invoke_from_event_loop(
        &self,
        event: Box<dyn FnOnce() + Send>,
    ) -> Result<(), slint::EventLoopError> {
        if let Ok(mut q) = self.queue.lock() {
            q.push(event);
        }
        self.poke();
        Ok(())
    }
}

struct Platform {
    window: Rc<MinimalSoftwareWindow>,
    start: Instant,
    wake: Wake,
}

impl slint::platform::Platform for Platform {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, slint::PlatformError> {
        Ok(self.window.clone())
    }
    fn duration_since_start(&self) -> Duration {
        self.start.elapsed()
    }
    fn new_event_loop_proxy(&self) -> Option<Box<dyn slint::platform::EventLoopProxy>> {
        Some(Box::new(self.wake.clone()))
    }
}

/// The board's display and input, opened; [`run`] drives them.
pub struct Board {
    output: Output,
    window: Rc<MinimalSoftwareWindow>,
    rotation: Rotation,
    wake: Wake,
}

/// Opens the display and installs the platform. Call before the kiosk is made.
pub fn select(rotation: Rotation) -> anyhow::Result<Board> {
    let output = Output::open()?;
    let window = MinimalSoftwareWindow::new(RepaintBufferType::SwappedBuffers);
    let fd = rustix::event::eventfd(
        0,
        rustix::event::EventfdFlags::CLOEXEC | rustix::event::EventfdFlags::NONBLOCK,
    )
    .context("eventfd")?;
    let wake = Wake {
        queue: Arc::default(),
        quit: Arc::default(),
        fd: Arc::new(fd),
    };
    slint::platform::set_platform(Box::new(Platform {
        window: window.clone(),
        start: Instant::now(),
        wake: wake.clone(),
    }))
    .map_err(|e| anyhow!("cannot install the display platform: {e:?}"))?;
    let (w, h) = output.mode.size();
    eprintln!(
        "bitig-kiosk: display {w}x{h} at {:.2} Hz, XRGB8888, two buffers flipped on vblank",
        1000.0 / output.period_ms
    );
    Ok(Board {
        output,
        window,
        rotation,
        wake,
    })
}

/// What the loop knows of the screen and the finger.
struct Run {
    board: Board,
    slide: Rc<Layer>,
    chain: SwapChain<Xrgb8888>,
    clock: Clock,
    /// The UI's size (the profile's), before rotation.
    size: (u32, u32),
    /// When the last frame went on the panel, in the kiosk's clock (ms).
    shown_ms: Option<f64>,
    touch: Option<i32>,
    pointer: Pointer,
}

/// Shows the kiosk and runs until it ends its event loop (SIGTERM, the operator's Restart).
pub fn run(board: Board, kiosk: &Kiosk) -> anyhow::Result<()> {
    use slint::ComponentHandle;
    let (w, h) = kiosk.size();
    board.window.set_size(slint::PhysicalSize::new(w, h));
    let slide = kiosk.slide_layer();
    // The copy is written unrotated; a turned panel gets the slide through Slint instead.
    if board.rotation == Rotation::R0 {
        slide.set_composed();
    }
    kiosk.window.show()?;
    let mut li = input::Libinput::new_with_udev(Open);
    if li.udev_assign_seat("seat0").is_err() {
        eprintln!("bitig-kiosk: cannot read touch from seat0 (udev); the panel will not respond");
    }
    let rotation = match board.rotation {
        Rotation::R0 => RenderingRotation::NoRotation,
        Rotation::R90 => RenderingRotation::Rotate90,
        Rotation::R180 => RenderingRotation::Rotate180,
        Rotation::R270 => RenderingRotation::Rotate270,
    };
    let (pw, ph) = board.rotation.panel_size(w, h);
    let pointer = Pointer::new(board.rotation, (w, h));
    let mut r = Run {
        chain: SwapChain::new(pw as usize, ph as usize, rotation),
        board,
        slide,
        clock: kiosk.clock(),
        size: (w, h),
        shown_ms: None,
        touch: None,
        pointer,
    };
    let result = r.event_loop(&mut li);
    kiosk.window.hide()?;
    result
}

impl Run {
    fn event_loop(&mut self, li: &mut input::Libinput) -> anyhow::Result<()> {
        loop {
            // What other threads queued before this turn; what the timers queue now runs in
            // the next turn, after this turn's frame (main.rs's READY=1 relies on that order).
            let queued = self
                .board
                .wake
                .queue
                .lock()
                .map(|mut q| std::mem::take(&mut *q))
                .unwrap_or_default();
            slint::platform::update_timers_and_animations();
            for f in queued {
                f();
            }
            if self.board.wake.quit.load(Ordering::SeqCst) {
                return Ok(());
            }
            self.settle_flip();
            if !self.board.output.flip_pending {
                self.draw()?;
            }
            self.wait(li)?;
        }
    }

    /// Draws the back buffer and flips it, if anything changed or a page slides.
    fn draw(&mut self) -> anyhow::Result<()> {
        // The frame goes on the panel at the next vblank: a slide is drawn where it will be
        // then.
        let now = (self.clock)() as f64;
        let o = &mut self.board.output;
        let at = self.shown_ms.map_or(now, |t| (t + o.period_ms).max(now));
        let b = self.chain.back();
        let scan = &mut o.buffers[b];
        let pitch = scan.pitch;
        let pixels: &mut [Xrgb8888] = bytemuck::cast_slice_mut(&mut scan.map[..]);
        let window = &self.board.window;
        if !self
            .chain
            .draw(window, &self.slide, at.round() as u64, pixels, pitch)
        {
            return Ok(());
        }
        o.show(b)?;
        if !o.flip_pending {
            self.shown_ms = Some((self.clock)() as f64);
        }
        Ok(())
    }

    /// A page slides: the loop draws a frame each time a flip completes.
    fn sliding(&self) -> bool {
        self.slide.composed() && self.slide.active()
    }

    /// Before a draw: the flip queued last must be done, since the buffer to draw into may
    /// still be on show. While a page slides, the wait below watches the card and this only
    /// looks; otherwise the card is not watched (an idle screen wakes once a frame, not twice)
    /// and this waits here for the flip, if it is not done yet (it is, unless a timer fires
    /// within a refresh period of the last frame).
    fn settle_flip(&mut self) {
        if !self.board.output.flip_pending {
            return;
        }
        let block = if self.sliding() {
            Duration::ZERO
        } else {
            FLIP_LOST
        };
        let ts = timespec(block);
        let done = {
            let mut fds = [PollFd::new(&self.board.output.card, PollFlags::IN)];
            matches!(rustix::event::poll(&mut fds, Some(&ts)), Ok(n) if n > 0)
        };
        if done {
            if let Some(t) = self.board.output.flips_done() {
                self.shown_ms = Some(self.flip_ms(t));
            }
        }
        let o = &mut self.board.output;
        if o.flip_pending && o.flip_queued.elapsed() > FLIP_LOST {
            eprintln!("bitig-kiosk: a page flip did not complete in {FLIP_LOST:?}; drawing on");
            o.flip_pending = false;
        }
    }

    /// Sleeps until the card (while a page slides), the input, a wake-up or Slint's next
    /// timer needs the loop.
    fn wait(&mut self, li: &mut input::Libinput) -> anyhow::Result<()> {
        let watch_card = self.board.output.flip_pending && self.sliding();
        let timer = slint::platform::duration_until_next_timer_update();
        let timeout = if watch_card {
            Some(timer.map_or(FLIP_LOST, |t| t.min(FLIP_LOST)))
        } else if self.board.window.has_active_animations() {
            Some(Duration::from_millis(16))
        } else {
            timer
        };
        let ts = timeout.map(timespec);
        let card_events = if watch_card {
            PollFlags::IN
        } else {
            PollFlags::empty()
        };
        let (card, input, wake) = {
            let mut fds = [
                PollFd::new(&self.board.output.card, card_events),
                PollFd::new(li, PollFlags::IN),
                PollFd::new(&*self.board.wake.fd, PollFlags::IN),
            ];
            match rustix::event::poll(&mut fds, ts.as_ref()) {
                Ok(_) | Err(rustix::io::Errno::INTR) => {}
                Err(e) => return Err(anyhow!("poll: {e}")),
            }
            let ready = |f: &PollFd<'_>| !f.revents().is_empty();
            (ready(&fds[0]), ready(&fds[1]), ready(&fds[2]))
        };
        if card && watch_card {
            if let Some(t) = self.board.output.flips_done() {
                self.shown_ms = Some(self.flip_ms(t));
            }
        }
        if wake {
            let mut b = [0u8; 8];
            let _ = rustix::io::read(&*self.board.wake.fd, &mut b);
        }
        if input {
            if let Err(e) = li.dispatch() {
                eprintln!("bitig-kiosk: libinput: {e}");
            }
            for event in &mut *li {
                self.on_input(event);
            }
        }
        Ok(())
    }

    /// A flip's time (CLOCK_MONOTONIC) in the kiosk's clock.
    fn flip_ms(&self, flip: Duration) -> f64 {
        let now = (self.clock)() as f64;
        let mono = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
        let mono = Duration::new(mono.tv_sec as u64, mono.tv_nsec as u32);
        now - mono.saturating_sub(flip).as_secs_f64() * 1000.0
    }

    /// Touch (the first finger) and absolute pointers, as the window's pointer.
    fn on_input(&mut self, event: Event) {
        let (pw, ph) = self.board.rotation.panel_size(self.size.0, self.size.1);
        match event {
            Event::Touch(TouchEvent::Down(e)) if self.touch.is_none() => {
                self.touch = Some(e.seat_slot() as i32);
                self.move_to(e.x_transformed(pw), e.y_transformed(ph));
                self.press(true);
            }
            Event::Touch(TouchEvent::Motion(e)) if self.touch == Some(e.seat_slot() as i32) => {
                self.move_to(e.x_transformed(pw), e.y_transformed(ph));
            }
            Event::Touch(TouchEvent::Up(e)) if self.touch == Some(e.seat_slot() as i32) => {
                self.touch = None;
                self.press(false);
            }
            Event::Touch(TouchEvent::Cancel(_)) => {
                self.touch = None;
                self.dispatch(WindowEvent::PointerExited);
            }
            Event::Pointer(PointerEvent::MotionAbsolute(e)) => {
                self.move_to(e.absolute_x_transformed(pw), e.absolute_y_transformed(ph));
            }
            Event::Pointer(PointerEvent::Button(e)) if e.button() == 0x110 => {
                self.press(e.button_state() == ButtonState::Pressed);
            }
            _ => {}
        }
    }

    fn move_to(&mut self, px: f64, py: f64) {
        let e = self.pointer.moved(px, py);
        self.dispatch(e);
    }

    fn press(&self, down: bool) {
        self.dispatch(self.pointer.button(down));
    }

    fn dispatch(&self, event: WindowEvent) {
        if let Err(e) = self.board.window.window().dispatch_event_with_result(event) {
            eprintln!("bitig-kiosk: a pointer event was dropped: {e}");
        }
    }
}
