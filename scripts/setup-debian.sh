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
  # LineBreakTest.txt (Unicode 15.0), the UAX #14 conformance file for unicode-linebreak 0.1.5
  unicode-data
  # Slint simulator (winit) and software renderer
  libfontconfig1-dev libxkbcommon-dev libxkbcommon-x11-0 libx11-dev libxcursor1 libxrandr2 libxi6 libgl1
  # linuxkms backend, native build
  libinput-dev libudev-dev
  # window screenshot test of the simulator
  xvfb x11-apps imagemagick
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
