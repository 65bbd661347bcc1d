#!/usr/bin/env bash
# Installs what the plain-cargo cross builds of the kiosk need on Debian 12 (amd64 host):
# Debian's cross gcc for aarch64 and armv7, qemu-user-static to run the results, and the
# arm64 -dev libraries that Slint's linuxkms backend links (libinput, libudev, libxkbcommon).
#
# armv7 gets the cross gcc, and the armhf -dev libraries of the device build when Debian's
# armhf index can be read. (On 2026-11-22 deb.debian.org's bookworm-security armhf index failed
# apt-get update with "File has unexpected size" on every attempt, and a foreign architecture
# whose index is broken breaks apt for everything: so armhf is added last, on its own, and
# taken out again if its index fails; scripts/cross-test then builds the headless armv7 kiosk
# and says so with a WARNING line.)
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
  # the voice (the kiosk decodes Opus with libopus), and scripts/bench: bitig-codecbench
  libopus-dev:arm64
  # the voice's sound card (ALSA)
  libasound2-dev:arm64
  # the headless armv7 build when Debian's armhf libopus cannot be installed (below): the opus
  # crate then builds libopus from its bundled source with CMake (scripts/cross-test)
  cmake
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

# armhf: the armv7 device build's libraries (what backend-linuxkms-libinput links, and
# libopus for the voice).
armhf_packages=(pkg-config:armhf libinput-dev:armhf libudev-dev:armhf libxkbcommon-dev:armhf libopus-dev:armhf libasound2-dev:armhf)
armhf_missing=()
for p in "${armhf_packages[@]}"; do installed "$p" || armhf_missing+=("$p"); done
if [ ${#armhf_missing[@]} -gt 0 ]; then
  added=0
  if ! dpkg --print-foreign-architectures | grep -qx armhf; then
    $SUDO dpkg --add-architecture armhf
    added=1
  fi
  ok=0
  for attempt in 1 2; do
    if $SUDO apt-get update -qq; then ok=1; break; fi
    sleep 10
  done
  if [ "$ok" = 1 ] && $SUDO apt-get install -y -qq --no-install-recommends "${armhf_missing[@]}"; then
    echo "setup-cross: armhf libraries for the armv7 device build installed"
  else
    echo "WARNING: setup-cross: Debian's armhf packages could not be installed (index out of reach or broken); the armv7 device build will not run" >&2
    if [ "$added" = 1 ]; then
      $SUDO dpkg --remove-architecture armhf || true
      $SUDO apt-get update -qq || true
    fi
  fi
fi

# The Rust standard library for the targets: from rustup when its server is reachable; else
# (CI reaches only crates.io and Debian) from Debian: rustc-web (1.96, /usr/bin/rustc) and, per
# target, the libstd-rust-web-dev .deb of the same version for arm64/armhf, fetched from the
# Debian pool by URL (so the broken armhf index is never needed) and unpacked into
# target/debian-rust/<triple>/, which scripts/cross-test passes to rustc as --sysroot.
# BITIG_CROSS_RUST=debian forces the Debian way even when rustup works.
cd "$(dirname "$0")/.."
debian_std() { # triple debian-arch
  local triple=$1 arch=$2 dest="target/debian-rust/$1"
  for p in rustc-web curl ca-certificates; do
    installed "$p" || $SUDO apt-get install -y -qq --no-install-recommends "$p" ||
      { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "$p"; }
  done
  local ver; ver=$(dpkg-query -W -f='${Version}' rustc-web)
  if [ "$(cat "$dest/version" 2>/dev/null)" = "$ver" ]; then return 0; fi
  local deb; deb=$(mktemp --suffix=.deb)
  local file="libstd-rust-web-dev_${ver//:/%3a}_${arch}.deb" got=""
  for base in http://deb.debian.org/debian-security/pool/updates/main http://deb.debian.org/debian/pool/main; do
    if curl -fsSL -o "$deb" "$base/r/rustc-web/$file"; then got=$base; break; fi
  done
  if [ -z "$got" ]; then echo "setup-cross: cannot download $file from Debian" >&2; rm -f "$deb"; return 1; fi
  rm -rf "$dest"; mkdir -p "$dest"
  dpkg-deb -x "$deb" "$dest"
  rm -f "$deb"
  echo "$ver" > "$dest/version"
  echo "setup-cross: Debian's Rust $ver standard library for $triple in $dest"
}
for t in aarch64-unknown-linux-gnu:arm64 armv7-unknown-linux-gnueabihf:armhf; do
  triple=${t%%:*}; arch=${t##*:}
  if [ "${BITIG_CROSS_RUST:-}" != debian ]; then
    if rustup target list --installed 2>/dev/null | grep -qx "$triple"; then continue; fi
    if timeout 180 rustup target add "$triple"; then continue; fi
    echo "setup-cross: rustup cannot add $triple (no access to static.rust-lang.org?); using Debian's Rust" >&2
  fi
  debian_std "$triple" "$arch"
done
echo "setup-cross: ok"
