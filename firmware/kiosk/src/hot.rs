//! Marks the kiosk's own code on the UI thread (every UI callback and the frame timer), so a
//! counting allocator can tell Bitig's allocations from those of the UI toolkit around it
//! (firmware/kiosk/tests/alloc.rs, tools/bench). Costs one thread-local flag per call.

use std::cell::Cell;

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
}

/// Runs `f` as the kiosk's own code.
pub fn ours<R>(f: impl FnOnce() -> R) -> R {
    DEPTH.with(|d| d.set(d.get() + 1));
    let r = f();
    DEPTH.with(|d| d.set(d.get().saturating_sub(1)));
    r
}

/// Whether this thread is inside [`ours`]. Safe to call from a global allocator (no
/// allocation, no destructor registration); `false` while the thread is being torn down.
pub fn in_ours() -> bool {
    DEPTH.try_with(|d| d.get() > 0).unwrap_or(false)
}
