//! Bitig kiosk: the Slint reader over a pre-shaped bundle.
//!
//! - [`nav`]: the navigation state machine (plain Rust, unit-tested without Slint);
//! - [`app`]: glue between bundle, state machine and UI (`ui/app.slint`);
//! - [`images`]: every label and page drawn from the bundle with `bitig-render`;
//! - [`platform`]: headless, simulator and device glue;
//! - [`config`], [`script`]: configuration file and headless touch scripts;
//! - [`hot`]: marks the kiosk's own code for the allocation test.

// Slint's generated types and the handles around them have no Debug.
#![allow(missing_debug_implementations)]

/// The code Slint generates from `ui/app.slint`; not ours to lint.
#[allow(clippy::all, clippy::pedantic, clippy::restriction, unsafe_code)]
mod generated {
    slint::include_modules!();
}
pub use generated::*;

pub mod app;
pub mod config;
pub mod content;
pub mod hot;
pub mod images;
pub mod nav;
pub mod notify;
pub mod platform;
pub mod script;
pub mod soak;
pub mod stats;
