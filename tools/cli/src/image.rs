//! `bitig image --base RPIOS.img --out kiosk.img`: a Raspberry Pi OS Lite image (MBR with a
//! FAT boot partition and an ext4 root) turned into a kiosk image, without root, mounts or loop
//! devices: e2fsprogs' `debugfs` writes the root filesystem at its byte offset
//! (`img?offset=N`), mtools (`-i img@@N`) the boot partition.
//!
//! The base image is only read. The work happens on a copy next to `--out`, which is renamed
//! into place after every written file was read back and compared, and `e2fsck -fn` found the
//! root filesystem clean.
//!
//! By what each part touches: [`mbr`] the partition table, [`ext4`] the root and data
//! filesystems through debugfs, [`fat`] the boot partition through mtools, [`files`] the
//! generated files (unit, udev rules, users, config), [`pios`] the Raspberry Pi OS path and
//! [`debian`] the image built from Debian's archive; [`payload`] checks what goes on it, and
//! [`tool`] runs the host tools.

pub mod debian;
pub mod ext4;
pub mod fat;
pub mod files;
pub mod mbr;
pub mod payload;
pub mod pios;
mod tool;
pub use ext4::*;
pub use fat::*;
pub use files::*;
pub use mbr::*;
pub use payload::*;
pub use pios::*;
