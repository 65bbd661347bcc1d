//! Platform glue, all in one place. Each platform depends on the app, never the reverse:
//! - [`headless`]: a custom Slint platform rendering into a buffer, with a virtual clock, for
//!   scripted tests and screenshots;
//! - [`simulator`]: a custom Slint platform drawing into a desktop window (winit, softbuffer),
//!   turned by the panel's rotation like the headless frames;
//! - [`device`] and [`drm`]: the board's own DRM/KMS platform (dumb buffers flipped on
//!   vblank, the slide copied) and libinput, with the software renderer; Slint's linuxkms
//!   backend as the fallback.
//!
//! - [`pointer`]: the panel's pointer as the window's events (the simulator, the device).
//! - [`swap`]: two scan-out buffers fed from one frame in memory, by damage (the device;
//!   the slide benchmark).
//! - [`sound`]: the voice's sound card (ALSA), for the device and the simulator.
//!
//! All three run the same UI and the same software renderer, so pixels match.

#[cfg(feature = "device")]
pub mod device;
#[cfg(feature = "device")]
pub mod drm;
pub mod headless;
#[cfg(any(feature = "simulator", feature = "device"))]
pub mod pointer;
#[cfg(feature = "simulator")]
pub mod simulator;
#[cfg(any(feature = "simulator", feature = "device"))]
pub mod sound;
pub mod swap;

pub use crate::clock::wall_clock;
