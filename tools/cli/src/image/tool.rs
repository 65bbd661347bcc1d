//! Running the host tools an image is made with (e2fsprogs, mtools, mmdebstrap).

use anyhow::Result;
use std::process::Command;

/// Runs `cmd` (`what`, from Debian's `package`) to its end; a missing tool is named with the
/// package that brings it.
pub(super) fn run_tool(
    cmd: &mut Command,
    what: &str,
    package: &str,
) -> Result<std::process::Output> {
    let out = cmd.output().map_err(|e| {
        anyhow::anyhow!("cannot run {what} ({e}); install {package} (scripts/setup-debian.sh)")
    })?;
    Ok(out)
}

/// A tool's output as text.
pub(super) fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
