//! Fuzz target: every way the kiosk reads a bundle must refuse bad input with a typed error,
//! never panic, and never allocate more than the input justifies.
//!
//! The input is used twice: as a whole file (header, hash, signature trailer checks) and as a
//! *body* under a freshly computed, valid header, so mutations reach the postcard decoder and
//! the validator instead of stopping at the hash check.
#![no_main]

use bitig_format::{seal, signature, Bundle, Header};
use libfuzzer_sys::fuzz_target;
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Records the largest single allocation.
struct Largest;
static LARGEST: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Largest {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LARGEST.fetch_max(l.size(), Ordering::Relaxed);
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        LARGEST.fetch_max(n, Ordering::Relaxed);
        System.realloc(p, l, n)
    }
}

#[global_allocator]
static A: Largest = Largest;

/// serde preallocates a sequence from its declared length, capped at 1 MiB ("cautious"
/// size hint); beyond that, allocations grow with the data actually decoded.
const CAP: usize = 1 << 20;

fuzz_target!(|data: &[u8]| {
    // As a file.
    let _ = Header::from_bundle_bytes(data);
    let _ = Bundle::from_bundle_bytes(data);
    let _ = signature::verify(data, &[[7u8; 32]]);
    // As a body under a valid header.
    let Some(file) = seal(data) else { return };
    LARGEST.store(0, Ordering::Relaxed);
    if let Ok(b) = Bundle::from_bundle_bytes(&file) {
        // A bundle that passes validation must be safe to walk completely.
        for d in &b.documents {
            for e in &d.editions {
                let _ = e.blocks.len();
            }
        }
    }
    let largest = LARGEST.load(Ordering::Relaxed);
    assert!(
        largest <= CAP.max(16 * data.len()),
        "a {}-byte body made a {largest}-byte allocation",
        data.len()
    );
});
