//! Bitig kiosk: the Slint reader over a pre-shaped bundle.
//!
//! Imports flow one way, from the top of this list down (docs/architecture.md):
//! - `main` (the binary), [`soak`] and [`script`]: what drives the kiosk;
//! - [`platform`]: headless, simulator and device glue;
//! - [`app`]: the kiosk's state machine and its wiring to the UI (`ui/app.slint`);
//! - [`screens`]: one module per screen, with its state, drawing and controls;
//! - [`content`], [`nav`], [`stats`], [`config`], [`images`], [`notify`]: bundle loading and
//!   USB updates, the navigation state machine (plain Rust, unit-tested without Slint), the
//!   visitor statistics, the configuration file, labels and pages drawn with `bitig-render`,
//!   systemd's notifications;
//! - [`clock`] and [`hot`]: the clock and the allocation test's marker, below everything.

// Slint's generated types and the handles around them have no Debug.
#![allow(missing_debug_implementations)]

/// The code Slint generates from `ui/app.slint`; not ours to lint.
#[allow(clippy::all, clippy::pedantic, clippy::restriction, unsafe_code)]
mod generated {
    slint::include_modules!();
}
pub use generated::*;

pub mod app;
pub mod audio;
pub mod clock;
pub mod config;
pub mod content;
pub mod hot;
pub mod images;
pub mod keys;
pub mod nav;
pub mod notify;
pub mod platform;
pub mod screens;
pub mod script;
pub mod slide;
pub mod soak;
pub mod stats;
