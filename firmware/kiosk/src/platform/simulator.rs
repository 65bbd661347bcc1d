//! A desktop window with the device's pixels: the kiosk's own Slint platform over a winit
//! window (X11) and softbuffer.
//!
//! The UI is drawn by the same software renderer into a frame in UI orientation, as in
//! headless mode, and turned onto the window by the panel's rotation (`--rotation`, the
//! config's `rotation`) with the same mapping as the headless frames ([`Rotation::ui_to_panel`]).
//! The mouse (or a touch screen) is the panel's touch: window pixels are panel pixels, mapped
//! back to the UI with [`Rotation::touch_to_ui`], as the device maps its touch panel. So a
//! portrait kiosk built from a landscape panel can be tried on a desktop.
//!
//! The event loop sleeps until the next Slint timer is due or an event comes: no frame timer
//! of its own, no desktop-settings query (Slint's winit backend asked the desktop portal over
//! D-Bus, and woke 16 ms after each redraw request on X11).

use super::pointer::Pointer;
use crate::app::Kiosk;
use crate::clock::Clock;
use crate::config::Rotation;
use crate::slide::{Compositor, Layer};
use slint::platform::software_renderer::{MinimalSoftwareWindow, RepaintBufferType};
use slint::platform::{WindowAdapter, WindowEvent};
use slint::{ComponentHandle, Rgb8Pixel};
use std::num::NonZeroU32;
use std::rc::Rc;
use std::time::{Duration, Instant};
use winit::application::ApplicationHandler;
use winit::event::{ElementState, MouseButton, TouchPhase};
use winit::event_loop::{ActiveEventLoop, ControlFlow, EventLoop, EventLoopProxy};
use winit::keyboard::{Key as WKey, NamedKey};
use winit::window::{Window, WindowId};

/// What other threads (and `slint::invoke_from_event_loop`) send to the event loop.
enum Wake {
    Run(Box<dyn FnOnce() + Send>),
    Quit,
}

struct Proxy(EventLoopProxy<Wake>);

impl slint::platform::EventLoopProxy for Proxy {
    fn quit_event_loop(&self) -> Result<(), slint::EventLoopError> {
        self.0
            .send_event(Wake::Quit)
            .map_err(|_| slint::EventLoopError::EventLoopTerminated)
    }
    fn invoke_from_event_loop(
        &self,
        event: Box<dyn FnOnce() + Send>,
    ) -> Result<(), slint::EventLoopError> {
        self.0
            .send_event(Wake::Run(event))
            .map_err(|_| slint::EventLoopError::EventLoopTerminated)
    }
}

struct Platform {
    window: Rc<MinimalSoftwareWindow>,
    start: Instant,
    proxy: EventLoopProxy<Wake>,
}

impl slint::platform::Platform for Platform {
    fn create_window_adapter(&self) -> Result<Rc<dyn WindowAdapter>, slint::PlatformError> {
        Ok(self.window.clone())
    }
    fn duration_since_start(&self) -> Duration {
        self.start.elapsed()
    }
    fn new_event_loop_proxy(&self) -> Option<Box<dyn slint::platform::EventLoopProxy>> {
        Some(Box::new(Proxy(self.proxy.clone())))
    }
}

/// The simulator between [`select`] and [`run`]: its event loop, the UI's window and the
/// panel's rotation.
pub struct Simulator {
    event_loop: EventLoop<Wake>,
    ui: Rc<MinimalSoftwareWindow>,
    rotation: Rotation,
}

/// Opens the desktop's display and installs the simulator's platform for a panel turned by
/// `rotation`. Call before the kiosk is made; once per process.
pub fn select(rotation: Rotation) -> anyhow::Result<Simulator> {
    let event_loop = EventLoop::<Wake>::with_user_event().build().map_err(|e| {
        anyhow::anyhow!("cannot open the simulator window (X11: is DISPLAY set?): {e}")
    })?;
    // The renderer draws into one frame the simulator keeps: only what changed is redrawn.
    let ui = MinimalSoftwareWindow::new(RepaintBufferType::ReusedBuffer);
    slint::platform::set_platform(Box::new(Platform {
        window: ui.clone(),
        start: Instant::now(),
        proxy: event_loop.create_proxy(),
    }))
    .map_err(|e| anyhow::anyhow!("cannot install the simulator platform: {e:?}"))?;
    Ok(Simulator {
        event_loop,
        ui,
        rotation,
    })
}

/// Shows the kiosk in a window the panel's size (after rotation) and runs until the window is
/// closed or the kiosk ends its event loop (SIGTERM, the operator's Restart).
pub fn run(sim: Simulator, kiosk: &Kiosk) -> anyhow::Result<()> {
    let (w, h) = kiosk.size();
    sim.ui.set_size(slint::PhysicalSize::new(w, h));
    // The simulator copies the sliding pages into its frame, as headless runs do.
    kiosk.slide_layer().set_composed();
    kiosk.window.show()?;
    let mut app = App {
        ui: sim.ui,
        rotation: sim.rotation,
        size: (w, h),
        frame: vec![Rgb8Pixel { r: 0, g: 0, b: 0 }; w as usize * h as usize],
        slide: kiosk.slide_layer(),
        compositor: Compositor::default(),
        clock: kiosk.clock(),
        surface: None,
        pointer: Pointer::new(sim.rotation, (w, h)),
        failed: None,
    };
    sim.event_loop
        .run_app(&mut app)
        .map_err(|e| anyhow::anyhow!("the simulator's event loop failed: {e}"))?;
    kiosk.window.hide()?;
    match app.failed {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// What draws into the desktop window (it holds the window).
type Surface = softbuffer::Surface<Rc<Window>, Rc<Window>>;

struct App {
    ui: Rc<MinimalSoftwareWindow>,
    rotation: Rotation,
    /// The UI's size (the profile's), before rotation.
    size: (u32, u32),
    /// The UI's frame, in UI orientation (the renderer repaints only what changed).
    frame: Vec<Rgb8Pixel>,
    /// The page turn's slide, copied into the frame each frame it runs.
    slide: Rc<Layer>,
    compositor: Compositor<Rgb8Pixel>,
    clock: Clock,
    surface: Option<Surface>,
    pointer: Pointer,
    failed: Option<anyhow::Error>,
}

fn soft(e: softbuffer::SoftBufferError) -> anyhow::Error {
    anyhow::anyhow!("softbuffer: {e}")
}

impl App {
    fn open(&mut self, event_loop: &ActiveEventLoop) -> anyhow::Result<()> {
        let (pw, ph) = self.rotation.panel_size(self.size.0, self.size.1);
        let attributes = Window::default_attributes()
            .with_title("Bitig")
            .with_inner_size(winit::dpi::PhysicalSize::new(pw, ph))
            .with_resizable(false);
        let window = Rc::new(event_loop.create_window(attributes)?);
        let context = softbuffer::Context::new(window.clone()).map_err(soft)?;
        let mut surface = softbuffer::Surface::new(&context, window).map_err(soft)?;
        let (Some(nw), Some(nh)) = (NonZeroU32::new(pw), NonZeroU32::new(ph)) else {
            anyhow::bail!("the panel has no pixels ({pw}x{ph})");
        };
        surface.resize(nw, nh).map_err(soft)?;
        self.surface = Some(surface);
        Ok(())
    }

    /// Draws what changed into the UI frame; presents the whole frame, turned onto the
    /// panel, if anything was drawn or `all` (the window was exposed).
    fn draw(&mut self, all: bool) -> anyhow::Result<()> {
        let Some(surface) = self.surface.as_mut() else {
            return Ok(());
        };
        let (w, h) = (self.size.0 as usize, self.size.1 as usize);
        let frame = &mut self.frame;
        let drew = self.ui.draw_if_needed(|renderer| {
            renderer.render(frame, w);
        });
        let slid = self
            .compositor
            .compose(&self.slide, (self.clock)(), &mut self.frame, w);
        if !drew && !slid && !all {
            return Ok(());
        }
        let (pw, _) = self.rotation.panel_size(self.size.0, self.size.1);
        let mut buffer = surface.buffer_mut().map_err(soft)?;
        for y in 0..h {
            for x in 0..w {
                let p = self.frame[y * w + x];
                let (px, py) = self.rotation.ui_to_panel(x, y, w, h);
                buffer[py * pw as usize + px] =
                    (u32::from(p.r) << 16) | (u32::from(p.g) << 8) | u32::from(p.b);
            }
        }
        buffer.present().map_err(soft)
    }

    /// A pointer (mouse or touch) at window pixel (`x`, `y`), which is a panel pixel.
    fn pointer_at(&mut self, x: f64, y: f64) {
        let e = self.pointer.moved(x, y);
        self.dispatch(e);
    }

    fn button(&self, down: bool) {
        self.dispatch(self.pointer.button(down));
    }

    fn dispatch(&self, event: WindowEvent) {
        self.ui.window().dispatch_event(event);
    }

    fn fail(&mut self, event_loop: &ActiveEventLoop, e: anyhow::Error) {
        self.failed = Some(e);
        event_loop.exit();
    }
}

/// A desktop key as Slint names it (the text of its `KeyEvent`), for `keys::code_of_text`.
fn key_text(key: &WKey) -> Option<slint::SharedString> {
    use slint::platform::Key;
    let named = match key {
        WKey::Character(s) => return Some(s.as_str().into()),
        WKey::Named(n) => n,
        _ => return None,
    };
    let key = match named {
        NamedKey::ArrowUp => Key::UpArrow,
        NamedKey::ArrowDown => Key::DownArrow,
        NamedKey::ArrowLeft => Key::LeftArrow,
        NamedKey::ArrowRight => Key::RightArrow,
        NamedKey::Enter => Key::Return,
        NamedKey::Escape => Key::Escape,
        NamedKey::Backspace => Key::Backspace,
        NamedKey::Tab => Key::Tab,
        NamedKey::Space => Key::Space,
        NamedKey::F1 => Key::F1,
        NamedKey::F2 => Key::F2,
        NamedKey::F3 => Key::F3,
        NamedKey::F4 => Key::F4,
        NamedKey::F5 => Key::F5,
        NamedKey::F6 => Key::F6,
        NamedKey::F7 => Key::F7,
        NamedKey::F8 => Key::F8,
        NamedKey::F9 => Key::F9,
        NamedKey::F10 => Key::F10,
        NamedKey::F11 => Key::F11,
        NamedKey::F12 => Key::F12,
        _ => return None,
    };
    Some(key.into())
}

impl ApplicationHandler<Wake> for App {
    fn resumed(&mut self, event_loop: &ActiveEventLoop) {
        if self.surface.is_none() {
            if let Err(e) = self.open(event_loop) {
                self.fail(event_loop, e.context("cannot open the simulator window"));
            }
        }
    }

    fn window_event(
        &mut self,
        event_loop: &ActiveEventLoop,
        _: WindowId,
        event: winit::event::WindowEvent,
    ) {
        use winit::event::WindowEvent as W;
        match event {
            W::CloseRequested => event_loop.exit(),
            W::RedrawRequested => {
                if let Err(e) = self.draw(true) {
                    self.fail(event_loop, e);
                }
            }
            W::CursorMoved { position, .. } => self.pointer_at(position.x, position.y),
            W::CursorLeft { .. } => self.dispatch(WindowEvent::PointerExited),
            W::MouseInput {
                state,
                button: MouseButton::Left,
                ..
            } => self.button(state == ElementState::Pressed),
            W::Touch(t) => {
                self.pointer_at(t.location.x, t.location.y);
                match t.phase {
                    TouchPhase::Started => self.button(true),
                    TouchPhase::Ended => self.button(false),
                    TouchPhase::Cancelled => self.dispatch(WindowEvent::PointerExited),
                    TouchPhase::Moved => {}
                }
            }
            W::KeyboardInput { event, .. } => {
                if let Some(text) = key_text(&event.logical_key) {
                    self.dispatch(match (event.state, event.repeat) {
                        (ElementState::Released, _) => WindowEvent::KeyReleased { text },
                        (ElementState::Pressed, true) => WindowEvent::KeyPressRepeated { text },
                        (ElementState::Pressed, false) => WindowEvent::KeyPressed { text },
                    });
                }
            }
            _ => {}
        }
    }

    fn user_event(&mut self, event_loop: &ActiveEventLoop, event: Wake) {
        match event {
            Wake::Run(f) => f(),
            Wake::Quit => event_loop.exit(),
        }
    }

    /// After each batch of events: Slint's timers and animations, a frame if anything
    /// changed, then sleep until the next timer is due.
    fn about_to_wait(&mut self, event_loop: &ActiveEventLoop) {
        slint::platform::update_timers_and_animations();
        if let Err(e) = self.draw(false) {
            self.fail(event_loop, e);
            return;
        }
        // A slide: a frame every 16 ms (the desktop gives no vblank to pace by).
        let next = if self.ui.has_active_animations() || self.slide.active() {
            Some(Duration::from_millis(16))
        } else {
            slint::platform::duration_until_next_timer_update()
        };
        event_loop.set_control_flow(match next {
            Some(d) => ControlFlow::WaitUntil(Instant::now() + d),
            None => ControlFlow::Wait,
        });
    }
}
