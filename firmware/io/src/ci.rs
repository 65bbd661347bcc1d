//! What a test may do under CI (`CI=true`): it must run its subject, never skip, and never
//! rewrite the goldens it compares against (a run that rewrites them passes by definition).

/// Whether this is a CI run (`CI=true`).
pub fn on_ci() -> bool {
    std::env::var_os("CI").is_some_and(|v| v == "true")
}

/// A test that cannot run its subject (`what`) for want of `why` (no losetup, no LuaTeX, no
/// qemu, not root): prints `SKIP: what: why` and returns, except under `CI=true`, where it
/// panics, so the run fails.
pub fn skip(what: &str, why: &str) {
    assert!(!on_ci(), "CI=true: {what} must run and not skip ({why})");
    eprintln!("SKIP: {what}: {why}");
}

/// Whether goldens are to be rewritten (`BITIG_BLESS=1`). Under `CI=true` that is an error: a
/// CI run that rewrites its goldens would pass by definition.
pub fn bless() -> bool {
    let bless = std::env::var_os("BITIG_BLESS").is_some_and(|v| v == "1");
    assert!(
        !(bless && on_ci()),
        "BITIG_BLESS=1 under CI=true: CI compares against the committed goldens and never rewrites them; bless on a workstation and commit the goldens"
    );
    bless
}
