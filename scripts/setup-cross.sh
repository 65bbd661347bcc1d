#!/usr/bin/env bash
# Installs what the plain-cargo cross builds of the kiosk need on Debian 12 (amd64 host):
# Debian's cross gcc for aarch64 and armv7, qemu-user-static to run the results, and the
# arm64 -dev libraries that Slint's linuxkms backend links (libinput, libudev, libxkbcommon).
#
# armv7 gets the cross gcc only: the armv7 build here is the headless kiosk, which links no C
# library. (Adding armhf as a dpkg architecture was tried: deb.debian.org's bookworm-security
# armhf index failed apt-get update with "File has unexpected size" on every attempt on
# 2026-11-22, and a foreign architecture whose index is broken breaks apt for everything.)
# The armv7 *device* build is covered by Cross.toml, whose image installs the armhf libraries.
# Idempotent and non-interactive: it only adds what is missing. Also adds the rustup targets.
#
# Note: adding a foreign architecture makes apt keep the shared libraries of both in step, so the
# first run may upgrade a few amd64 packages (libudev1, systemd, ...) to the same Debian version.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

need_update=0
for arch in arm64; do
  if ! dpkg --print-foreign-architectures | grep -qx "$arch"; then
    echo "setup-cross: dpkg --add-architecture $arch"
    $SUDO dpkg --add-architecture "$arch"
    need_update=1
  fi
done

packages=(
  gcc-aarch64-linux-gnu libc6-dev-arm64-cross
  gcc-arm-linux-gnueabihf libc6-dev-armhf-cross
  qemu-user-static
  # pkg-config wrapper aarch64-linux-gnu-pkg-config
  pkg-config:arm64
  # what backend-linuxkms-libinput links
  libinput-dev:arm64 libudev-dev:arm64 libxkbcommon-dev:arm64
)
missing=()
for p in "${packages[@]}"; do installed "$p" || missing+=("$p"); done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-cross: installing ${missing[*]}"
  # A mirror caught mid-sync ("File has unexpected size") fails apt-get update; retry a few times.
  for attempt in 1 2 3 4; do
    if $SUDO apt-get update -qq; then break; fi
    if [ "$attempt" = 4 ]; then echo "setup-cross: apt-get update failed 4 times" >&2; exit 1; fi
    echo "setup-cross: apt-get update failed (attempt $attempt), retrying in 20 s" >&2
    sleep 20
  done
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
elif [ "$need_update" = 1 ]; then
  $SUDO apt-get update -qq
else
  echo "setup-cross: all cross packages present"
fi

# The Rust standard library for the targets: from rustup when its server is reachable, else
# from Debian (CI reaches only crates.io and Debian): rustc-web 1.96 with libstd-rust-web-dev:arm64
# installs /usr/bin/rustc, which scripts/cross-test then uses through RUSTC for that target.
for t in aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf; do
  if rustup target list --installed 2>/dev/null | grep -qx "$t"; then continue; fi
  if rustup target add "$t"; then continue; fi
  echo "setup-cross: rustup cannot add $t (no access to static.rust-lang.org?)" >&2
  if [ "$t" = aarch64-unknown-linux-gnu ]; then
    deb=(rustc-web libstd-rust-web-dev:arm64)
    miss=()
    for p in "${deb[@]}"; do installed "$p" || miss+=("$p"); done
    if [ ${#miss[@]} -gt 0 ]; then
      echo "setup-cross: installing Debian's ${miss[*]} instead"
      $SUDO apt-get install -y -qq --no-install-recommends "${miss[@]}"
    fi
  else
    echo "setup-cross: no armv7 standard library: Debian's needs the armhf architecture, whose index is broken on this mirror; scripts/cross-test will skip armv7" >&2
  fi
done
echo "setup-cross: ok"
