//! Page turns in the kiosk: after warm-up, the kiosk's own code allocates nothing. A swipe or
//! tap goes through Slint's event dispatch into the navigation state machine, the page and
//! its counter are drawn into reused buffers, the slide animates, and Slint's software
//! renderer draws the frames, all under a counting global allocator. Allocations made while
//! the kiosk's code runs (`bitig_kiosk::hot::ours`: every UI callback and the frame timer)
//! must be 0. Slint's own runtime allocates small short-lived blocks per turn (its property
//! dependency lists, timer list and input dispatch; see docs/performance.md); those are
//! counted separately and must not grow from one round of turns to the next.
//! Single and side-by-side views, 800x480.
//!
//! Only this test's thread is counted; one test per process, because the headless platform
//! can be installed once per process.
#![allow(clippy::unwrap_used, clippy::expect_used, unsafe_code)]

mod common;

use bitig_kiosk::keys::Key;
use bitig_kiosk::platform::headless::Headless;
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::hash::{Hash, Hasher};

struct Counting;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    /// Allocations inside the kiosk's code: (count, bytes).
    static OURS: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
    /// Allocations by Slint's runtime around it.
    static TOOLKIT: Cell<(u64, u64)> = const { Cell::new((0, 0)) };
}

fn note(size: usize) {
    if !COUNTING.try_with(Cell::get).unwrap_or(false) {
        return;
    }
    let which = if bitig_kiosk::hot::in_ours() {
        &OURS
    } else {
        &TOOLKIT
    };
    let _ = which.try_with(|c| {
        let (n, b) = c.get();
        c.set((n + 1, b + size as u64));
    });
}

// SAFETY: forwards every call unchanged to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        System.alloc(layout)
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note(layout.size());
        System.alloc_zeroed(layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note(new_size);
        System.realloc(ptr, layout, new_size)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Allocations (count, bytes) that `f` made on this thread: the kiosk's, and Slint's.
fn counted(f: impl FnOnce()) -> ((u64, u64), (u64, u64)) {
    OURS.with(|c| c.set((0, 0)));
    TOOLKIT.with(|c| c.set((0, 0)));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    (OURS.with(Cell::get), TOOLKIT.with(Cell::get))
}

fn hash(frame: &[u8]) -> u64 {
    let mut s = std::collections::hash_map::DefaultHasher::new();
    frame.hash(&mut s);
    s.finish()
}

fn turn(h: &mut Headless, forward: bool, by_swipe: bool) -> u64 {
    hash(h.turn_page(forward, by_swipe))
}

#[test]
fn page_turns_allocate_nothing_after_warm_up() {
    let path = common::bundle("pi-touch-800x480");
    let (mut h, kiosk) = common::kiosk_in_reader(&path);

    for parallel in [false, true] {
        if parallel {
            h.tap(637.0, 28.0); // side by side
            h.advance(50);
        }
        assert_eq!(kiosk.page().1, parallel, "the parallel button moved");
        // Warm-up: every kind of turn once each way, so buffers and Slint's property
        // bindings exist.
        for by_swipe in [true, false] {
            turn(&mut h, true, by_swipe);
            turn(&mut h, false, by_swipe);
        }
        turn(&mut h, true, true);
        let start = kiosk.page().0;
        let before = hash(h.frame().2);

        let mut hashes = Vec::with_capacity(16);
        let mut pages = Vec::with_capacity(16);
        let mut ours = Vec::new();
        let mut toolkit = Vec::new();
        for (forward, by_swipe) in [(true, true), (true, false), (false, true), (false, false)] {
            for _ in 0..2 {
                let mut hash = 0;
                let (o, t) = counted(|| hash = turn(&mut h, forward, by_swipe));
                hashes.push(hash);
                pages.push(kiosk.page().0);
                ours.push(o);
                toolkit.push(t);
            }
        }
        println!("parallel {parallel}: Slint's allocations per turn (count, bytes): {toolkit:?}");
        // The turns really happened: two forward by swipe, two by tap, then back again.
        assert_eq!(
            pages,
            [1, 2, 3, 4, 3, 2, 1, 0].map(|d: u16| start + d),
            "pages after each turn (parallel: {parallel})"
        );
        assert_eq!(
            hashes[7], before,
            "back on the first page, the frame is the same"
        );
        assert!(
            hashes.windows(2).all(|w| w[0] != w[1]),
            "every turn changed the frame"
        );
        assert!(
            ours.iter().all(|&o| o == (0, 0)),
            "the kiosk's allocations per turn (count, bytes), parallel {parallel}: {ours:?}"
        );
        // Each kind of turn was made twice in a row: Slint's share must not grow.
        for pair in toolkit.chunks(2) {
            assert!(
                pair[1].0 <= pair[0].0,
                "Slint's allocations grew from one turn to the next: {toolkit:?}"
            );
        }
    }
    // Keys on the reader: Next and Back turn pages, Up and Down move the focus. After one
    // round of each, a key press allocates nothing of the kiosk's own.
    let code = |k| kiosk.code_for(k).unwrap();
    let keys = [
        Key::Next,
        Key::Next,
        Key::Back,
        Key::Down,
        Key::Up,
        Key::Back,
    ];
    for k in keys {
        h.key(&kiosk, code(k), 60);
        h.advance(300);
    }
    let start = kiosk.page().0;
    let mut ours = Vec::new();
    let mut focus = Vec::new();
    for k in keys {
        let (o, _) = counted(|| {
            h.key(&kiosk, code(k), 60);
            h.advance(300);
        });
        ours.push(o);
        focus.push(kiosk.focus());
    }
    assert_eq!(
        kiosk.page().0,
        start,
        "the keys turned two pages on and two back"
    );
    assert!(
        focus.iter().all(|f| f.1),
        "the ring is shown after keys: {focus:?}"
    );
    assert!(
        ours.iter().all(|&o| o == (0, 0)),
        "the kiosk's allocations per key press (count, bytes): {ours:?}"
    );
}
