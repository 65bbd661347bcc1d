//! The board: the display over DRM/KMS with touch from libinput ([`super::drm`], or Slint's
//! linuxkms backend with `BITIG_DISPLAY=linuxkms`) and the software renderer, and the
//! keypad's keys read from libinput by a thread of its own (Slint's backend names keys by the
//! text they type, and volume keys type none).

use crate::app::Kiosk;
use crate::config::Rotation;
use input::event::keyboard::{KeyState, KeyboardEvent, KeyboardEventTrait};
use input::event::{DeviceEvent, Event};
use slint::ComponentHandle;
use std::cell::RefCell;

/// What a key code means to the running kiosk: [`Kiosk::key`] on the UI thread.
type KeySink = Box<dyn Fn(u16, bool)>;

thread_local! {
    static KEYS: RefCell<Option<KeySink>> = const { RefCell::new(None) };
}

/// The code the key thread sends when a keyboard goes: every key it held is up.
const ALL_UP: u16 = u16::MAX;

/// Starts reading keys: every keyboard on seat0, now and plugged in later (libinput's udev
/// backend follows hot-plugging). Slint's own key events are dropped
/// (`Options::own_key_input`), so each press arrives once.
pub fn read_keys(kiosk: &Kiosk) -> anyhow::Result<()> {
    let sink = kiosk.key_sink();
    KEYS.with(|k| *k.borrow_mut() = Some(Box::new(sink)));
    std::thread::Builder::new()
        .name("bitig-keys".into())
        .spawn(key_thread)?;
    Ok(())
}

fn send(code: u16, pressed: bool) {
    let _ = slint::invoke_from_event_loop(move || {
        KEYS.with(|k| {
            if let Some(f) = &*k.borrow() {
                f(code, pressed);
            }
        })
    });
}

/// Waits on libinput and hands each key to the UI thread. Without a seat (no udev, no
/// permission) it says so once and ends: touch still works.
fn key_thread() {
    let mut li = input::Libinput::new_with_udev(super::drm::Open);
    if li.udev_assign_seat("seat0").is_err() {
        eprintln!("bitig-kiosk: cannot read keys from seat0 (udev); the keypad will not work");
        return;
    }
    loop {
        let mut fds = [rustix::event::PollFd::new(
            &li,
            rustix::event::PollFlags::IN,
        )];
        match rustix::event::poll(&mut fds, None) {
            Ok(_) | Err(rustix::io::Errno::INTR) => {}
            Err(e) => {
                eprintln!("bitig-kiosk: the key reader stopped: {e}; the keypad will not work");
                return;
            }
        }
        if let Err(e) = li.dispatch() {
            eprintln!("bitig-kiosk: libinput: {e}");
        }
        for event in &mut li {
            match event {
                Event::Keyboard(KeyboardEvent::Key(k)) => {
                    let code = u16::try_from(k.key()).unwrap_or(0);
                    send(code, k.key_state() == KeyState::Pressed);
                }
                Event::Device(DeviceEvent::Removed(_)) => send(ALL_UP, false),
                _ => {}
            }
        }
    }
}

/// The display the kiosk draws on.
pub enum Display {
    /// The kiosk's own ([`super::drm`]): page flips on vblank, the slide copied.
    Own(Box<super::drm::Board>),
    /// Slint's linuxkms backend: the slide drawn by Slint on the frame timer.
    Slint,
}

/// Opens the display: the kiosk's own DRM/KMS platform, or Slint's linuxkms backend if
/// `BITIG_DISPLAY=linuxkms` (for comparison) or if the kiosk's own cannot open it. The panel
/// rotation is applied to both the frame and the touch coordinates.
pub fn select(rotation: Rotation) -> anyhow::Result<Display> {
    if std::env::var("BITIG_DISPLAY").as_deref() != Ok("linuxkms") {
        match super::drm::select(rotation) {
            Ok(board) => return Ok(Display::Own(Box::new(board))),
            Err(e) => eprintln!("bitig-kiosk: {e:#}; trying Slint's linuxkms backend"),
        }
    }
    std::env::set_var("SLINT_KMS_ROTATION", rotation.degrees().to_string());
    slint::BackendSelector::new()
        .backend_name("linuxkms".into())
        .renderer_name("software".into())
        .select()
        .map_err(|e| anyhow::anyhow!("cannot open the display (linuxkms): {e}"))?;
    Ok(Display::Slint)
}

pub fn run(display: Display, kiosk: &Kiosk) -> anyhow::Result<()> {
    match display {
        Display::Own(board) => super::drm::run(*board, kiosk),
        Display::Slint => Ok(kiosk.window.run()?),
    }
}
