//! A custom Slint platform rendering into a buffer, with a virtual clock, for scripted tests,
//! screenshots and benchmarks.

use crate::app::Kiosk;
use crate::clock::Clock;
use crate::config::Rotation;
use crate::slide::{Compositor, Layer};
use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType};
use slint::platform::{PointerEventButton, WindowAdapter, WindowEvent};
use slint::{LogicalPosition, Rgb8Pixel};
use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

struct Platform {
    window: Rc<MinimalSoftwareWindow>,
    now_ms: Rc<Cell<u64>>,
    queue: Queue,
    quit: Quit,
}

/// Set when the kiosk asks the event loop to end (`slint::quit_event_loop`: the operator's
/// Restart, an installed update).
type Quit = std::sync::Arc<std::sync::atomic::AtomicBool>;

/// Closures sent with `slint::invoke_from_event_loop` (from the update worker), run by
/// [`Headless::advance`] at its next step.
type Queue = std::sync::Arc<std::sync::Mutex<Vec<Box<dyn FnOnce() + Send>>>>;

struct Proxy(Queue, Quit);

impl slint::platform::EventLoopProxy for Proxy {
    fn quit_event_loop(&self) -> Result<(), slint::EventLoopError> {
        // The headless "loop" is the script's: it sees the request (Headless::quit_requested).
        self.1.store(true, std::sync::atomic::Ordering::SeqCst);
        Ok(())
    }
    fn invoke_from_event_loop(
        &self,
        event: Box<dyn FnOnce() + Send>,
    ) -> Result<(), slint::EventLoopError> {
        if let Ok(mut q) = self.0.lock() {
            q.push(event);
        }
        Ok(())
    }
}

impl slint::platform::Platform for Platform {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, slint::PlatformError> {
        Ok(self.window.clone())
    }
    fn duration_since_start(&self) -> Duration {
        Duration::from_millis(self.now_ms.get())
    }
    fn new_event_loop_proxy(&self) -> Option<Box<dyn slint::platform::EventLoopProxy>> {
        Some(Box::new(Proxy(self.queue.clone(), self.quit.clone())))
    }
}

/// The headless kiosk: a window without a screen and a clock that moves only when told.
pub struct Headless {
    window: Rc<MinimalSoftwareWindow>,
    now_ms: Rc<Cell<u64>>,
    width: u32,
    height: u32,
    rotation: Rotation,
    frame: Vec<Rgb8Pixel>,
    rgb: Vec<u8>,
    rotated: Vec<u8>,
    queue: Queue,
    quit: Quit,
    /// The page turn's slide, copied into each frame (the kiosk's, from `attach`).
    slide: Option<Rc<Layer>>,
    compositor: Compositor<Rgb8Pixel>,
}

/// One frame step of the virtual clock.
pub const STEP_MS: u64 = 16;

impl Headless {
    /// Installs the headless platform. Call before creating the kiosk; once per process.
    pub fn install(rotation: Rotation) -> anyhow::Result<(Headless, Clock)> {
        Headless::install_with(rotation, RepaintBufferType::NewBuffer)
    }

    /// Like [`install`](Self::install), with the renderer's repaint strategy: `NewBuffer`
    /// repaints every pixel of every frame (screenshots); `SwappedBuffers` repaints what
    /// changed since the buffer was last shown, as the device's linuxkms backend does with
    /// its two DRM buffers (the slide benchmark, `bitig-slidebench`).
    pub fn install_with(
        rotation: Rotation,
        repaint: RepaintBufferType,
    ) -> anyhow::Result<(Headless, Clock)> {
        let window = MinimalSoftwareWindow::new(repaint);
        let now_ms = Rc::new(Cell::new(0u64));
        let queue = Queue::default();
        let quit = Quit::default();
        slint::platform::set_platform(Box::new(Platform {
            window: window.clone(),
            now_ms: now_ms.clone(),
            queue: queue.clone(),
            quit: quit.clone(),
        }))
        .map_err(|e| anyhow::anyhow!("cannot install the headless platform: {e:?}"))?;
        let clock_cell = now_ms.clone();
        let clock: Clock = Rc::new(move || clock_cell.get());
        Ok((
            Headless {
                window,
                now_ms,
                width: 0,
                height: 0,
                rotation,
                frame: Vec::new(),
                rgb: Vec::new(),
                rotated: Vec::new(),
                queue,
                quit,
                slide: None,
                compositor: Compositor::default(),
            },
            clock,
        ))
    }

    /// Sizes the window for the kiosk's UI and shows it.
    pub fn attach(&mut self, kiosk: &Kiosk) -> anyhow::Result<()> {
        use slint::ComponentHandle;
        let (w, h) = kiosk.size();
        self.width = w;
        self.height = h;
        self.window.set_size(slint::PhysicalSize::new(w, h));
        let slide = kiosk.slide_layer();
        slide.set_composed();
        self.slide = Some(slide);
        kiosk.window.show()?;
        self.advance(0);
        Ok(())
    }

    /// The kiosk asked the event loop to end (`slint::quit_event_loop`).
    pub fn quit_requested(&self) -> bool {
        self.quit.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The window Slint renders (the slide benchmark drives its renderer as the device does).
    pub fn window(&self) -> &MinimalSoftwareWindow {
        &self.window
    }

    pub fn now_ms(&self) -> u64 {
        self.now_ms.get()
    }

    /// Moves the virtual clock on by `ms`, a frame at a time, running timers and animations.
    pub fn advance(&mut self, ms: u64) {
        let end = self.now_ms.get() + ms;
        loop {
            slint::platform::update_timers_and_animations();
            self.run_queued();
            let t = self.now_ms.get();
            if t >= end {
                break;
            }
            self.now_ms.set((t + STEP_MS).min(end));
        }
    }

    /// Runs what the update worker queued with `slint::invoke_from_event_loop`.
    fn run_queued(&self) {
        let queued = self
            .queue
            .lock()
            .map(|mut q| std::mem::take(&mut *q))
            .unwrap_or_default();
        for f in queued {
            f();
        }
    }

    /// Like [`advance`](Self::advance), but in real time, the way an event loop waits: it
    /// sleeps until the next timer is due (or `ms` are over), then runs the timers. So the
    /// process wakes exactly as often as the kiosk's timers ask, which is what the idle
    /// measurement (`mark` in a script, tools/bench) counts.
    pub fn wait_real(&mut self, ms: u64) {
        let start = std::time::Instant::now();
        let base = self.now_ms.get();
        let end = Duration::from_millis(ms);
        loop {
            let elapsed = start.elapsed();
            self.now_ms.set(base + elapsed.as_millis() as u64);
            slint::platform::update_timers_and_animations();
            self.run_queued();
            if elapsed >= end {
                break;
            }
            let left = end - elapsed;
            let next = slint::platform::duration_until_next_timer_update()
                .map_or(left, |d| d.min(left))
                .max(Duration::from_millis(1));
            std::thread::sleep(next);
        }
    }

    /// Panel size (after rotation).
    pub fn panel_size(&self) -> (u32, u32) {
        self.rotation.panel_size(self.width, self.height)
    }

    fn ui_pos(&self, px: f32, py: f32) -> LogicalPosition {
        let (x, y) = self
            .rotation
            .touch_to_ui(px, py, self.width as f32, self.height as f32);
        LogicalPosition::new(x, y)
    }

    /// A touch at panel pixel (`x`, `y`) goes down.
    pub fn press(&mut self, x: f32, y: f32) {
        let position = self.ui_pos(x, y);
        let w = self.window.window();
        w.dispatch_event(WindowEvent::PointerMoved { position });
        w.dispatch_event(WindowEvent::PointerPressed {
            position,
            button: PointerEventButton::Left,
        });
        self.advance(0);
    }

    pub fn move_to(&mut self, x: f32, y: f32) {
        let position = self.ui_pos(x, y);
        self.window
            .window()
            .dispatch_event(WindowEvent::PointerMoved { position });
        self.advance(0);
    }

    pub fn release(&mut self, x: f32, y: f32) {
        let position = self.ui_pos(x, y);
        let w = self.window.window();
        w.dispatch_event(WindowEvent::PointerMoved { position });
        w.dispatch_event(WindowEvent::PointerReleased {
            position,
            button: PointerEventButton::Left,
        });
        self.advance(0);
    }

    /// A tap as the touch scripts make it: down, 60 ms, up, one frame step.
    /// Presses a key (its Linux code), holds it `ms` of virtual time, releases it.
    pub fn key(&mut self, kiosk: &Kiosk, code: u16, ms: u64) {
        kiosk.key(code, true);
        self.advance(ms);
        kiosk.key(code, false);
        self.advance(STEP_MS);
    }

    /// A key as Slint's window gets it from a desktop keyboard (the simulator's way in):
    /// pressed and released, its text as Slint names keys (`"\u{F701}"` is the down arrow).
    pub fn slint_key(&mut self, text: &str) {
        let window = self.window.clone();
        window
            .window()
            .dispatch_event(WindowEvent::KeyPressed { text: text.into() });
        self.advance(60);
        window
            .window()
            .dispatch_event(WindowEvent::KeyReleased { text: text.into() });
        self.advance(STEP_MS);
    }

    pub fn tap(&mut self, x: f32, y: f32) {
        self.press(x, y);
        self.advance(60);
        self.release(x, y);
        self.advance(STEP_MS);
    }

    /// A swipe as the touch scripts make it: down, eight moves over `ms`, up.
    pub fn swipe(&mut self, (x0, y0): (f32, f32), (x1, y1): (f32, f32), ms: u64) {
        self.press(x0, y0);
        let n = 8;
        for i in 1..=n {
            let t = i as f32 / n as f32;
            self.advance(ms / n);
            self.move_to(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t);
        }
        self.release(x1, y1);
        self.advance(STEP_MS);
    }

    /// One page turn in the reader as a visitor makes it (the allocation test and the
    /// benchmark): a swipe across the middle of the panel or a tap near its edge, a frame
    /// half-way through the slide, then the settled frame, which is returned.
    pub fn turn_page(&mut self, forward: bool, by_swipe: bool) -> &[u8] {
        self.turn_gesture(forward, by_swipe);
        self.advance(60);
        let _ = self.frame();
        self.advance(300);
        self.frame().2
    }

    /// The gesture of [`turn_page`](Self::turn_page) alone, with no frame drawn: a swipe
    /// across the middle of the panel or a tap near its edge.
    pub fn turn_gesture(&mut self, forward: bool, by_swipe: bool) {
        let (w, h) = self.panel_size();
        let (w, y) = (w as f32, h as f32 / 2.0);
        match (by_swipe, forward) {
            (true, true) => self.swipe((w * 0.75, y), (w * 0.25, y + 10.0), 160),
            (true, false) => self.swipe((w * 0.25, y), (w * 0.75, y - 10.0), 160),
            (false, true) => self.tap(w - 20.0, y),
            (false, false) => self.tap(20.0, y),
        }
    }

    /// The finger leaves the panel (no release inside it).
    pub fn exit(&mut self) {
        self.window
            .window()
            .dispatch_event(WindowEvent::PointerExited);
        self.advance(0);
    }

    /// Renders the current frame into `buffer` (UI orientation, `width` pixels a line),
    /// the way the device renders into its frame buffer: only the regions the repaint
    /// strategy asks for are drawn. Returns false if Slint drew nothing.
    pub fn render_into<T: slint::platform::software_renderer::TargetPixel>(
        &mut self,
        buffer: &mut [T],
    ) -> bool {
        let w = self.width as usize;
        self.window.request_redraw();
        self.window.draw_if_needed(|renderer| {
            renderer.render(buffer, w);
        })
    }

    /// Copies the sliding pages into `buffer` (as [`render_into`](Self::render_into) draws
    /// it) where they are now; returns false if no page slides.
    pub fn compose_into<T: crate::slide::PagePixel>(
        &self,
        compositor: &mut Compositor<T>,
        buffer: &mut [T],
    ) -> bool {
        let w = self.width as usize;
        self.slide
            .as_ref()
            .is_some_and(|l| compositor.compose(l, self.now_ms.get(), buffer, w))
    }

    /// A page slides: frames change with the clock alone, with nothing for Slint to draw.
    pub fn sliding(&self) -> bool {
        self.slide.as_ref().is_some_and(|l| l.active())
    }

    /// Draws a frame only if Slint asks for one (something on screen changed since the last
    /// frame), as the device's event loop does after each turn; returns whether it drew.
    pub fn draw_if_dirty(&mut self) -> bool {
        let w = self.width as usize;
        self.frame
            .resize(w * self.height as usize, Rgb8Pixel { r: 0, g: 0, b: 0 });
        let frame = &mut self.frame;
        let drew = self.window.draw_if_needed(|renderer| {
            renderer.render(frame, w);
        });
        self.compose() || drew
    }

    /// Copies the sliding pages into the frame; returns false if no page slides.
    fn compose(&mut self) -> bool {
        let w = self.width as usize;
        let Some(l) = &self.slide else {
            return false;
        };
        self.compositor
            .compose(l, self.now_ms.get(), &mut self.frame, w)
    }

    /// Renders the current frame and returns it in panel orientation, RGB. Reuses its
    /// buffers: after the first frame it allocates nothing itself.
    pub fn frame(&mut self) -> (u32, u32, &[u8]) {
        let (w, h) = (self.width as usize, self.height as usize);
        self.frame.resize(w * h, Rgb8Pixel { r: 0, g: 0, b: 0 });
        self.window.request_redraw();
        let frame = &mut self.frame;
        self.window.draw_if_needed(|renderer| {
            renderer.render(frame, w);
        });
        self.compose();
        self.rgb.clear();
        self.rgb
            .extend(self.frame.iter().flat_map(|p| [p.r, p.g, p.b]));
        self.rotation
            .rotate_frame(&self.rgb, w, h, &mut self.rotated);
        let (pw, ph) = self.panel_size();
        (pw, ph, &self.rotated)
    }
}
