//! A power-cut model of a folder that loses what was not synced (content slots, statistics).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use bitig_kiosk::content::{Fs, RealFs};
use std::io;
use std::path::Path;

/// One file as the card and the kernel see it: what an fsync put on the card, and what the
/// page cache holds.
#[derive(Clone)]
struct Inode {
    durable: Vec<u8>,
    pending: Vec<u8>,
}

/// A folder as the card may hold it after a cut: how it came about, and its files.
pub type CrashState = (String, Vec<(String, Vec<u8>)>);

/// A directory change not yet made durable by an fsync of the directory.
#[derive(Clone, Debug)]
enum DirOp {
    Link(String, usize),
    Rename(String, String),
}

/// A power-cut model of the content folder that loses what was not synced. The update runs
/// on the real folder (it reads its own writes back), while this model keeps, apart from the
/// page-cache view, what fsync made durable: file data on `sync`, directory entries on
/// `sync_dir`. After `budget` operations the power goes; [`Disk::crash_states`] lists every
/// folder the card could then hold: unsynced data dropped, kept, or torn to a prefix, and any
/// subset of the unsynced directory changes applied in order.
pub struct Disk {
    inodes: Vec<Inode>,
    names: std::collections::BTreeMap<String, usize>,
    durable_names: std::collections::BTreeMap<String, usize>,
    pending_ops: Vec<DirOp>,
    budget: usize,
    pub used: usize,
}

/// The most pending directory changes [`Disk::crash_states`] explores (2^N subsets each).
const MAX_PENDING: usize = 14;

fn file_name(p: &Path) -> String {
    p.file_name().unwrap().to_string_lossy().into_owned()
}

impl Disk {
    /// The model of `dir` as it is now, all of it durable.
    pub fn of(dir: &Path, budget: usize) -> Disk {
        let mut d = Disk {
            inodes: Vec::new(),
            names: Default::default(),
            durable_names: Default::default(),
            pending_ops: Vec::new(),
            budget,
            used: 0,
        };
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            let data = std::fs::read(&p).unwrap();
            d.inodes.push(Inode {
                durable: data.clone(),
                pending: data,
            });
            d.names.insert(file_name(&p), d.inodes.len() - 1);
        }
        d.durable_names = d.names.clone();
        d
    }

    fn tick(&mut self) -> io::Result<()> {
        self.used += 1;
        if self.used > self.budget {
            Err(io::Error::other("power cut"))
        } else {
            Ok(())
        }
    }

    /// Every folder the card may hold after the cut: (description, files). Every subset of
    /// the pending directory changes is explored; more than MAX_PENDING of them is refused
    /// (a panic), never explored in part.
    pub fn crash_states(&self) -> Vec<CrashState> {
        let k = self.pending_ops.len();
        assert!(
            k <= MAX_PENDING,
            "{k} directory changes pending at the cut, more than the {MAX_PENDING} whose every \
             subset this model explores: sync the folder sooner, or raise MAX_PENDING"
        );
        let mut out = Vec::new();
        for mask in 0u32..(1 << k) {
            let mut listing = self.durable_names.clone();
            for (i, op) in self.pending_ops.iter().enumerate() {
                if mask & (1 << i) == 0 {
                    continue;
                }
                match op {
                    DirOp::Link(n, ino) => {
                        listing.insert(n.clone(), *ino);
                    }
                    DirOp::Rename(a, b) => {
                        if let Some(ino) = listing.remove(a) {
                            listing.insert(b.clone(), ino);
                        }
                    }
                }
            }
            for outcome in ["dropped", "kept", "torn"] {
                let files = listing
                    .iter()
                    .map(|(n, &ino)| {
                        let f = &self.inodes[ino];
                        let data = match outcome {
                            "dropped" => f.durable.clone(),
                            "kept" => f.pending.clone(),
                            _ if f.pending.starts_with(&f.durable) => {
                                let extra = f.pending.len() - f.durable.len();
                                f.pending[..f.durable.len() + extra / 2].to_vec()
                            }
                            _ => f.pending[..f.pending.len() / 2].to_vec(),
                        };
                        (n.clone(), data)
                    })
                    .collect();
                out.push((
                    format!(
                        "unsynced data {outcome}, directory changes {mask:0k$b} of {:?}",
                        self.pending_ops
                    ),
                    files,
                ));
            }
        }
        out
    }
}

impl Fs for Disk {
    fn create(&mut self, p: &Path) -> io::Result<()> {
        self.tick()?;
        RealFs.create(p)?;
        self.inodes.push(Inode {
            durable: Vec::new(),
            pending: Vec::new(),
        });
        let ino = self.inodes.len() - 1;
        self.names.insert(file_name(p), ino);
        self.pending_ops.push(DirOp::Link(file_name(p), ino));
        Ok(())
    }
    fn append(&mut self, p: &Path, d: &[u8]) -> io::Result<()> {
        self.tick()?;
        RealFs.append(p, d)?;
        let ino = self.names[&file_name(p)];
        self.inodes[ino].pending.extend_from_slice(d);
        Ok(())
    }
    fn sync(&mut self, p: &Path) -> io::Result<()> {
        self.tick()?;
        RealFs.sync(p)?;
        let ino = self.names[&file_name(p)];
        self.inodes[ino].durable = self.inodes[ino].pending.clone();
        Ok(())
    }
    fn rename(&mut self, a: &Path, b: &Path) -> io::Result<()> {
        self.tick()?;
        RealFs.rename(a, b)?;
        if let Some(ino) = self.names.remove(&file_name(a)) {
            self.names.insert(file_name(b), ino);
        }
        self.pending_ops
            .push(DirOp::Rename(file_name(a), file_name(b)));
        Ok(())
    }
    fn sync_dir(&mut self, d: &Path) -> io::Result<()> {
        self.tick()?;
        RealFs.sync_dir(d)?;
        self.durable_names = self.names.clone();
        self.pending_ops.clear();
        Ok(())
    }
}
