//! Durable writes: temp file beside the target, write, fsync the file, rename it over the
//! target, fsync the folder. A reader (or a kiosk after a power cut) finds the old file or
//! the new one, never half of either.
//!
//! The steps go through [`Fs`], so the kiosk's crash tests can cut the power between any
//! two of them (firmware/kiosk/tests/common/disk.rs); [`RealFs`] is the real filesystem.

use std::io;
use std::path::{Path, PathBuf};

/// The writes a durable write makes; each call is one step a power cut can interrupt.
pub trait Fs {
    /// Creates or truncates a file.
    fn create(&mut self, path: &Path) -> io::Result<()>;
    fn append(&mut self, path: &Path, data: &[u8]) -> io::Result<()>;
    fn sync(&mut self, path: &Path) -> io::Result<()>;
    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()>;
    fn sync_dir(&mut self, dir: &Path) -> io::Result<()>;
}

/// The real filesystem.
#[derive(Debug, Default, Clone, Copy)]
pub struct RealFs;

impl Fs for RealFs {
    fn create(&mut self, path: &Path) -> io::Result<()> {
        std::fs::File::create(path).map(drop)
    }
    fn append(&mut self, path: &Path, data: &[u8]) -> io::Result<()> {
        use std::io::Write;
        std::fs::OpenOptions::new()
            .append(true)
            .open(path)?
            .write_all(data)
    }
    fn sync(&mut self, path: &Path) -> io::Result<()> {
        std::fs::OpenOptions::new()
            .write(true)
            .open(path)?
            .sync_all()
    }
    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        std::fs::rename(from, to)
    }
    fn sync_dir(&mut self, dir: &Path) -> io::Result<()> {
        std::fs::File::open(dir)?.sync_all()
    }
}

/// The folder a path is in (`.` for a bare name).
pub fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// The temp file a durable write of `path` goes through: `path` with `.tmp` added.
pub fn temp_beside(path: &Path) -> PathBuf {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    PathBuf::from(tmp)
}

/// A hidden temp file beside `path` that is this process's own (`.NAME.PID.tmp`): for files
/// two processes may write at once, and for files made in place (disk images) before
/// [`commit`].
pub fn private_temp(path: &Path) -> PathBuf {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    folder_of(path).join(format!(".{name}.{}.tmp", std::process::id()))
}

/// Writes `bytes` as `path` through `fs`: create `path.tmp`, write, fsync, rename, fsync of
/// the folder (5 steps). The kiosk's files, each written by one thread only.
pub fn write_with(fs: &mut dyn Fs, path: &Path, bytes: &[u8]) -> io::Result<()> {
    replace_via(fs, path, &temp_beside(path), bytes)
}

/// Writes `bytes` as `path` on the real filesystem, creating its folder. The temp file's
/// name is hidden and this process's own (`.NAME.PID.tmp`), so two processes writing the same
/// file (parallel test binaries building one bundle) never share it; it is removed if the
/// write fails.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    std::fs::create_dir_all(folder_of(path))?;
    let tmp = private_temp(path);
    let result = replace_via(&mut RealFs, path, &tmp, bytes);
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Puts a file that was made in full under a temp name (`tmp`, e.g. a disk image assembled in
/// place) where it belongs: fsync, rename over `path`, fsync of the folder.
pub fn commit(tmp: &Path, path: &Path) -> io::Result<()> {
    let mut fs = RealFs;
    fs.sync(tmp)?;
    fs.rename(tmp, path)?;
    fs.sync_dir(folder_of(path))
}

fn replace_via(fs: &mut dyn Fs, path: &Path, tmp: &Path, bytes: &[u8]) -> io::Result<()> {
    fs.create(tmp)?;
    fs.append(tmp, bytes)?;
    fs.sync(tmp)?;
    fs.rename(tmp, path)?;
    fs.sync_dir(folder_of(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records the steps, and fails the `fail_at`-th.
    struct Steps {
        log: Vec<String>,
        fail_at: Option<usize>,
    }

    impl Steps {
        fn step(&mut self, s: String) -> io::Result<()> {
            self.log.push(s);
            if Some(self.log.len()) == self.fail_at {
                return Err(io::Error::other("cut"));
            }
            Ok(())
        }
    }

    impl Fs for Steps {
        fn create(&mut self, p: &Path) -> io::Result<()> {
            self.step(format!("create {}", p.display()))
        }
        fn append(&mut self, p: &Path, d: &[u8]) -> io::Result<()> {
            self.step(format!("append {} {}", p.display(), d.len()))
        }
        fn sync(&mut self, p: &Path) -> io::Result<()> {
            self.step(format!("sync {}", p.display()))
        }
        fn rename(&mut self, a: &Path, b: &Path) -> io::Result<()> {
            self.step(format!("rename {} {}", a.display(), b.display()))
        }
        fn sync_dir(&mut self, d: &Path) -> io::Result<()> {
            self.step(format!("sync_dir {}", d.display()))
        }
    }

    #[test]
    fn writes_through_a_temp_file_and_syncs_the_folder() {
        let mut s = Steps {
            log: Vec::new(),
            fail_at: None,
        };
        write_with(&mut s, Path::new("d/active"), b"a\n").unwrap();
        assert_eq!(
            s.log,
            [
                "create d/active.tmp",
                "append d/active.tmp 2",
                "sync d/active.tmp",
                "rename d/active.tmp d/active",
                "sync_dir d"
            ]
        );
        let mut s = Steps {
            log: Vec::new(),
            fail_at: Some(3),
        };
        assert!(write_with(&mut s, Path::new("x"), b"").is_err());
        assert_eq!(s.log.len(), 3, "stops at the first failed step");
    }

    #[test]
    fn writes_a_real_file_and_leaves_no_temp() {
        let dir = std::env::temp_dir().join(format!("bitig-io-{}", std::process::id()));
        let path = dir.join("sub/out.txt");
        write(&path, b"one").unwrap();
        write(&path, b"two").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"two");
        let names: Vec<_> = std::fs::read_dir(dir.join("sub"))
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, ["out.txt"]);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
