//! Bitig's host typesetter.
//!
//! Data flows one way: source text -> NFC blocks -> shaped words -> set lines -> positioned
//! glyph runs -> pages -> atlases -> bundle bytes. Everything here runs on the host; the
//! kiosk only blits the result.
//!
//! Entry points: [`load_sources`] (parse and check everything) and [`build_bundle`] (lay out
//! for one display profile and encode).

pub mod atlas;
pub mod build;
pub mod checks;
pub mod compose;
pub mod diag;
pub mod hyph;
pub mod linebreak;
pub mod proof;
pub mod punct;
pub mod shape;
pub mod source;
pub mod texref;
pub mod typography;

pub use build::{
    build_bundle, build_bundle_cached, load_sources, EditionCache, Inputs, ProfileSpec, Sources,
};
pub use diag::{Diagnostic, Error, Severity};
