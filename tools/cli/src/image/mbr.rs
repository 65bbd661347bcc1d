//! The MBR partition table of a disk image: where each partition starts and how long it is.

use anyhow::{bail, ensure, Context, Result};
use std::path::Path;

/// One MBR partition, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Partition {
    pub index: usize,
    pub kind: u8,
    pub start: u64,
    pub len: u64,
}

/// The primary partitions of an MBR disk image.
pub fn mbr_partitions(img: &Path) -> Result<Vec<Partition>> {
    use std::io::Read;
    let mut sector = [0u8; 512];
    std::fs::File::open(img)
        .and_then(|mut f| f.read_exact(&mut sector))
        .with_context(|| format!("reading the partition table of {}", img.display()))?;
    ensure!(
        sector[510] == 0x55 && sector[511] == 0xAA,
        "{}: no MBR partition table (bytes 510..512 are not 55 AA); is this a disk image?",
        img.display()
    );
    let mut parts = Vec::new();
    for i in 0..4 {
        let e = &sector[446 + 16 * i..446 + 16 * (i + 1)];
        let kind = e[4];
        let lba = u32::from_le_bytes([e[8], e[9], e[10], e[11]]) as u64;
        let n = u32::from_le_bytes([e[12], e[13], e[14], e[15]]) as u64;
        if kind == 0xEE {
            bail!(
                "{}: a GPT disk; Raspberry Pi OS images use an MBR table, so this is not one",
                img.display()
            );
        }
        if kind != 0 && n > 0 {
            parts.push(Partition {
                index: i + 1,
                kind,
                start: lba * 512,
                len: n * 512,
            });
        }
    }
    Ok(parts)
}

/// The FAT boot partition (type 0x0b/0x0c/0x0e) and the Linux root (0x83), as Pi OS lays out.
pub fn boot_and_root(img: &Path) -> Result<(Partition, Partition)> {
    let parts = mbr_partitions(img)?;
    let boot = parts
        .iter()
        .find(|p| matches!(p.kind, 0x0b | 0x0c | 0x0e))
        .copied()
        .with_context(|| format!("{}: no FAT boot partition", img.display()))?;
    let root = parts
        .iter()
        .find(|p| p.kind == 0x83)
        .copied()
        .with_context(|| format!("{}: no Linux (ext4) root partition", img.display()))?;
    Ok((boot, root))
}
