//! Platform glue, all in one place. Each platform depends on the app, never the reverse:
//! - [`headless`]: a custom Slint platform rendering into a buffer, with a virtual clock, for
//!   scripted tests and screenshots;
//! - [`simulator`]: a desktop window (winit) with the software renderer;
//! - [`device`]: DRM/KMS and libinput (Slint's linuxkms backend) with the software renderer.
//!
//! All three run the same UI and the same software renderer, so pixels match.

#[cfg(feature = "device")]
pub mod device;
pub mod headless;
#[cfg(feature = "simulator")]
pub mod simulator;

pub use crate::clock::wall_clock;
