#!/usr/bin/env bash
# Makes a small synthetic disk image with the Raspberry Pi OS Lite layout, for testing
# `bitig image --base` where a real Pi OS image cannot be downloaded (CI):
#   MBR; p1 FAT32 "bootfs" at 4 MiB (cmdline.txt, config.txt); p2 ext4 "rootfs" with the
#   files `bitig image` edits (/etc/passwd, group, shadow, gshadow) and /usr/lib/aarch64-linux-gnu.
# Sizes are small (64 + 96 MiB, sparse); real images have 512 MiB + a few GiB.
# Needs: fdisk (sfdisk), dosfstools (mkfs.vfat), mtools, e2fsprogs (mkfs.ext4). No root, no mounts.
set -euo pipefail
out=${1:?usage: make-synthetic-rpios.sh OUT.img}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

boot_start=8192        # sectors (4 MiB), as Pi OS
boot_sectors=131072    # 64 MiB
root_start=$((boot_start + boot_sectors))
root_sectors=196608    # 96 MiB
rm -f "$out"
truncate -s $(( (root_start + root_sectors) * 512 )) "$out"
sfdisk -q "$out" <<TABLE
label: dos
label-id: 0x5e3da7a5
unit: sectors
start=$boot_start, size=$boot_sectors, type=c
start=$root_start, size=$root_sectors, type=83
TABLE

mkdir -p "$work/boot"
printf 'console=serial0,115200 console=tty1 root=PARTUUID=5e3da7a5-02 rootfstype=ext4 fsck.repair=yes rootwait quiet init=/usr/lib/raspberrypi-sys-mods/firstboot\n' > "$work/boot/cmdline.txt"
printf '# For more options and information see\n# http://rptl.io/configtxt\ndtparam=audio=on\ncamera_auto_detect=1\ndisplay_auto_detect=1\nauto_initramfs=1\ndtoverlay=vc4-kms-v3d\nmax_framebuffers=2\narm_64bit=1\n\n[all]\n' > "$work/boot/config.txt"
echo "synthetic test image, not a Raspberry Pi firmware" > "$work/boot/start4.elf"
mkfs.vfat -F 32 -s 1 -n bootfs --offset=$boot_start "$out" $((boot_sectors / 2)) >/dev/null 2>&1
MTOOLS_SKIP_CHECK=1 mcopy -i "$out@@$((boot_start * 512))" "$work"/boot/* ::/

r="$work/root"
mkdir -p "$r/etc/systemd/system/multi-user.target.wants" "$r/usr/lib/aarch64-linux-gnu" \
  "$r/usr/local/bin" "$r/usr/sbin" "$r/var/lib" "$r/etc/udev/rules.d"
cat > "$r/etc/passwd" <<'P'
root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
systemd-network:x:998:998:systemd Network Management:/:/usr/sbin/nologin
pi:x:1000:1000:,,,:/home/pi:/bin/bash
P
cat > "$r/etc/group" <<'G'
root:x:0:
shadow:x:42:
video:x:44:pi
audio:x:29:pi
input:x:105:pi
render:x:106:pi
sudo:x:27:pi
systemd-network:x:998:
pi:x:1000:
G
printf 'root:*:19000:0:99999:7:::\npi:$y$j9T$synthetic$:19000:0:99999:7:::\n' > "$r/etc/shadow"
printf 'root:*::\nshadow:*::\nvideo:*::pi\naudio:*::pi\ninput:!::pi\nrender:!::pi\nsudo:*::pi\npi:!::\n' > "$r/etc/gshadow"
chmod 0640 "$r/etc/shadow" "$r/etc/gshadow"
mkfs.ext4 -q -F -L rootfs -E offset=$((root_start * 512)),root_owner=0:0 -d "$r" "$out" $((root_sectors / 2))k
# mkfs.ext4 -d copies owners from the work tree; make shadow root:shadow as on Pi OS.
debugfs -w -R "sif /etc/shadow gid 42" "$out?offset=$((root_start * 512))" 2>/dev/null
debugfs -w -R "sif /etc/gshadow gid 42" "$out?offset=$((root_start * 512))" 2>/dev/null
e2fsck -fn "$out?offset=$((root_start * 512))" >/dev/null 2>&1
echo "$out: synthetic Raspberry Pi OS layout (boot at $((boot_start * 512)), root at $((root_start * 512)))"
