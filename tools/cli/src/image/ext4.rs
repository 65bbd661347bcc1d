//! An ext4 filesystem inside an image file, written at its byte offset through e2fsprogs'
//! `debugfs` (`img?offset=N`), with no mounts or loop devices.
//!
//! Pitfalls handled (see ../shared/research/image-feasibility.md): debugfs exits 0 even when
//! a command fails, and its `mkdir` of an existing directory corrupts the filesystem, so every
//! directory is probed first and every result is checked by reading it back.

use super::tool::{run_tool, text};
use anyhow::{bail, ensure, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// An ext4 filesystem inside an image file, reached through debugfs.
#[derive(Debug)]
pub struct Ext4 {
    spec: String,
    scratch: PathBuf,
}

/// Inode facts from `debugfs stat`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inode {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub link: Option<String>,
}

impl Ext4 {
    pub fn new(img: &Path, offset: u64, scratch: &Path) -> Ext4 {
        Ext4 {
            spec: format!("{}?offset={offset}", img.display()),
            scratch: scratch.to_path_buf(),
        }
    }

    pub(crate) fn debugfs(&self, write: bool, request: &str) -> Result<String> {
        let mut c = Command::new("debugfs");
        if write {
            c.arg("-w");
        }
        c.arg("-R").arg(request).arg(&self.spec);
        let o = run_tool(&mut c, "debugfs", "e2fsprogs")?;
        ensure!(
            o.status.success(),
            "debugfs {request}: {}",
            text(&o.stderr).trim()
        );
        Ok(text(&o.stdout) + &text(&o.stderr))
    }

    /// Runs a script of debugfs commands in one session; returns its output.
    pub(crate) fn script(&self, commands: &[String]) -> Result<String> {
        let f = self.scratch.join("debugfs.cmds");
        std::fs::write(&f, commands.join("\n") + "\n")?;
        let o = run_tool(
            Command::new("debugfs")
                .arg("-w")
                .arg("-f")
                .arg(&f)
                .arg(&self.spec),
            "debugfs",
            "e2fsprogs",
        )?;
        ensure!(o.status.success(), "debugfs: {}", text(&o.stderr).trim());
        Ok(text(&o.stdout) + &text(&o.stderr))
    }

    pub fn stat(&self, path: &str) -> Result<Option<Inode>> {
        let out = self.debugfs(false, &format!("stat \"{path}\""))?;
        if out.contains("File not found") || !out.contains("Inode:") {
            return Ok(None);
        }
        let field = |name: &str| -> Option<u32> {
            let i = out.find(name)? + name.len();
            let rest = out[i..].trim_start();
            let tok: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
            if name == "Mode:" {
                u32::from_str_radix(&tok, 8).ok()
            } else {
                tok.parse().ok()
            }
        };
        let ty = out
            .split("Type:")
            .nth(1)
            .and_then(|r| r.split_whitespace().next())
            .unwrap_or("");
        let type_bits = match ty {
            "regular" => 0o100000,
            "directory" => 0o040000,
            "symlink" => 0o120000,
            _ => 0,
        };
        let link = out
            .split("Fast link dest: \"")
            .nth(1)
            .and_then(|r| r.split('"').next().map(str::to_string));
        Ok(Some(Inode {
            mode: type_bits | field("Mode:").unwrap_or(0),
            uid: field("User:").unwrap_or(u32::MAX),
            gid: field("Group:").unwrap_or(u32::MAX),
            link,
        }))
    }

    /// The contents of a regular file.
    pub fn read(&self, path: &str) -> Result<Vec<u8>> {
        let out = self.scratch.join("dump.out");
        let _ = std::fs::remove_file(&out);
        self.debugfs(false, &format!("dump \"{path}\" \"{}\"", out.display()))?;
        std::fs::read(&out).with_context(|| format!("{path} is not on the root filesystem"))
    }

    /// Creates each missing directory of `dir` (mode 0755, root), never an existing one.
    pub(crate) fn mkdir_p(
        &self,
        dir: &str,
        cmds: &mut Vec<String>,
        made: &mut Vec<String>,
    ) -> Result<()> {
        let mut cur = String::new();
        for part in dir.split('/').filter(|p| !p.is_empty()) {
            cur.push('/');
            cur.push_str(part);
            if made.contains(&cur) {
                continue;
            }
            match self.stat(&cur)? {
                Some(i) if i.mode & 0o170000 == 0o040000 => {}
                Some(_) => bail!("{cur} exists on the root filesystem but is not a directory"),
                None => {
                    cmds.push(format!("mkdir \"{cur}\""));
                    cmds.push(format!("sif \"{cur}\" mode 040755"));
                    cmds.push(format!("sif \"{cur}\" uid 0"));
                    cmds.push(format!("sif \"{cur}\" gid 0"));
                    made.push(cur.clone());
                }
            }
        }
        Ok(())
    }

    pub fn fsck(&self) -> Result<()> {
        let o = run_tool(
            Command::new("e2fsck").arg("-fn").arg(&self.spec),
            "e2fsck",
            "e2fsprogs",
        )?;
        ensure!(
            o.status.success(),
            "e2fsck found the root filesystem damaged (exit {:?}):\n{}",
            o.status.code(),
            text(&o.stdout)
        );
        Ok(())
    }
}

/// A file to place on the root filesystem.
#[derive(Debug, Clone)]
pub struct RootFile {
    pub path: String,
    pub bytes: Vec<u8>,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

/// Writes `files` and `links` (path, target) into `fs`, then reads every one back.
pub fn write_root(fs: &Ext4, files: &[RootFile], links: &[(String, String)]) -> Result<()> {
    let mut cmds = Vec::new();
    let mut made = Vec::new();
    for (i, f) in files.iter().enumerate() {
        let (dir, _) = f.path.rsplit_once('/').context("absolute paths only")?;
        fs.mkdir_p(dir, &mut cmds, &mut made)?;
        let local = fs.scratch.join(format!("file{i}"));
        std::fs::write(&local, &f.bytes)?;
        if fs.stat(&f.path)?.is_some() {
            cmds.push(format!("rm \"{}\"", f.path));
        }
        cmds.push(format!("write \"{}\" \"{}\"", local.display(), f.path));
        cmds.push(format!("sif \"{}\" mode 0{:o}", f.path, 0o100000 | f.mode));
        cmds.push(format!("sif \"{}\" uid {}", f.path, f.uid));
        cmds.push(format!("sif \"{}\" gid {}", f.path, f.gid));
    }
    for (link, target) in links {
        let (dir, _) = link.rsplit_once('/').context("absolute paths only")?;
        fs.mkdir_p(dir, &mut cmds, &mut made)?;
        if fs.stat(link)?.is_some() {
            cmds.push(format!("rm \"{link}\""));
        }
        cmds.push(format!("symlink \"{link}\" \"{target}\""));
    }
    fs.script(&cmds)?;
    fs.fsck()?;
    // Read everything back.
    for f in files {
        let got = fs.read(&f.path)?;
        ensure!(
            got == f.bytes,
            "read-back of {} differs from what was written ({} vs {} bytes)",
            f.path,
            got.len(),
            f.bytes.len()
        );
        let i = fs
            .stat(&f.path)?
            .with_context(|| format!("{} is missing after writing", f.path))?;
        ensure!(
            i.mode == 0o100000 | f.mode && i.uid == f.uid && i.gid == f.gid,
            "{}: mode {:o} owner {}:{} after writing, wanted {:o} {}:{}",
            f.path,
            i.mode,
            i.uid,
            i.gid,
            0o100000 | f.mode,
            f.uid,
            f.gid
        );
    }
    for (link, target) in links {
        let i = fs
            .stat(link)?
            .with_context(|| format!("{link} is missing"))?;
        ensure!(
            i.link.as_deref() == Some(target.as_str()),
            "{link} points to {:?}, wanted {target}",
            i.link
        );
    }
    Ok(())
}
