//! Small helpers, one per job, shared by the kiosk, the host tools and the tests (std only;
//! the bundle's own code stays in the `no_std` crates):
//! - [`durable`]: the one way to write a file so that a power cut leaves the old file or the
//!   new one, never half of either (temp file, fsync, rename, fsync of the folder);
//! - [`png`]: the one PNG codec (goldens, proofs, screenshots, the boot test);
//! - [`proc`]: the one reader of Linux's `/proc` (memory, wake-ups, CPU time), which asks
//!   the system for its clock ticks;
//! - [`ci`]: what a test may do under `CI=true` (never skip, never bless).
//!
//! Hex encoding lives in `bitig_format::hex` (the bundle's hashes need it without std).

pub mod ci;
pub mod durable;
pub mod png;
pub mod proc;
pub mod wav;

pub use durable::{Fs, RealFs};
