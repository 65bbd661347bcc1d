//! A FAT partition inside an image file (`img@@OFFSET`), reached through mtools.

use super::tool::{run_tool, text};
use anyhow::{ensure, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The FAT boot partition, reached through mtools.
#[derive(Debug)]
pub struct Fat {
    spec: String,
    scratch: PathBuf,
}

impl Fat {
    pub fn new(img: &Path, offset: u64, scratch: &Path) -> Fat {
        Fat {
            spec: format!("{}@@{offset}", img.display()),
            scratch: scratch.to_path_buf(),
        }
    }

    pub(crate) fn mtools(&self, tool: &str, args: &[&str]) -> Result<Vec<u8>> {
        let o = run_tool(
            Command::new(tool)
                .env("MTOOLS_SKIP_CHECK", "1")
                .arg("-i")
                .arg(&self.spec)
                .args(args),
            tool,
            "mtools",
        )?;
        ensure!(
            o.status.success(),
            "{tool} {}: {}",
            args.join(" "),
            text(&o.stderr).trim()
        );
        Ok(o.stdout)
    }

    pub fn read(&self, name: &str) -> Result<Vec<u8>> {
        self.mtools("mtype", &[&format!("::{name}")])
            .with_context(|| format!("reading {name} from the boot partition"))
    }

    /// Replaces `name`, then reads it back.
    pub fn write(&self, name: &str, bytes: &[u8]) -> Result<()> {
        let local = self.scratch.join("fat.out");
        std::fs::write(&local, bytes)?;
        let local = local.to_string_lossy().into_owned();
        self.mtools("mcopy", &["-o", &local, &format!("::{name}")])?;
        ensure!(
            self.read(name)? == bytes,
            "read-back of {name} on the boot partition differs from what was written"
        );
        Ok(())
    }
}
