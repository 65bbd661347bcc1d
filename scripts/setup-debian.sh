#!/usr/bin/env bash
# Installs every system package Bitig's build, tests and simulator need on Debian 12.
# Idempotent and non-interactive: safe to run again; it only installs what is missing.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

packages=(
  # build
  build-essential pkg-config
  # reference fonts (pinned copies live in assets/fonts; these are for hb-shape cross-checks)
  fonts-noto-core
  # hb-shape: the reference shaper the glyph tests compare against
  libharfbuzz-bin
  # LuaTeX with luaotfload (ltluatex from latex-base): the line-breaking yardstick
  # (tests/tests/typography.rs, `bitig compare-tex`)
  texlive-luatex texlive-latex-base
  # The simulator window (winit and softbuffer on X11) and the software renderer
  libfontconfig1-dev libxkbcommon-dev libxkbcommon-x11-0 libx11-dev libxcursor1 libxrandr2 libxi6 libgl1
  # linuxkms backend, native build
  libinput-dev libudev-dev
  # window screenshot test of the simulator
  xvfb x11-apps imagemagick
  # the simulator keyboard test (xdotool types into the Xvfb window)
  xdotool
  # the voice: the bundler speaks every block and UI string with espeak-ng (tools/speech)
  espeak-ng
  # libopus: the speech part's codec (the bundler encodes, the kiosk decodes), and the
  # encoders scripts/bench weighs for speech; ALSA: the kiosk plays the voice
  libopus-dev opus-tools vorbis-tools libasound2-dev
  # `bitig image` (no root, no mounts): partition tables, FAT and ext4 at byte offsets
  fdisk dosfstools mtools e2fsprogs
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "setup: all system packages present"
fi

# Rust: Debian 12's rustc (1.63) is too old; Bitig needs 1.88 or newer, from rustup.
if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo not found. Install Rust with rustup (https://rustup.rs), then run this again:" >&2
  echo "  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y" >&2
  exit 1
fi
need="1.88"
have="$(rustc --version | awk '{print $2}')"
if [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" != "$need" ]; then
  echo "setup: rustc $have is older than $need; run: rustup update stable" >&2
  exit 1
fi
echo "setup: rustc $have"
