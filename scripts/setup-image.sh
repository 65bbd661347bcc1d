#!/usr/bin/env bash
# Installs what `bitig image --debian` and the QEMU boot test (scripts/boot-test) need on
# Debian 12, and makes arm64 programs runnable through qemu-user (binfmt_misc), which
# mmdebstrap needs to configure an arm64 root filesystem. Idempotent and non-interactive.
# --packages-only: only the packages (scripts/boot-test registers binfmt itself and undoes it).
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

packages=(mmdebstrap qemu-user-static binfmt-support qemu-system-arm ipxe-qemu
          fdisk dosfstools mtools e2fsprogs arch-test)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup-image: installing ${missing[*]}"
  $SUDO apt-get update -qq
  # In containers, a docker-clean apt hook can delete .debs mid-install; a second try succeeds.
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" ||
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if [ "${1:-}" = "--packages-only" ]; then
  echo "setup-image: packages ok"
  exit 0
fi
if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
  $SUDO mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  $SUDO update-binfmts --enable qemu-aarch64
fi
echo "setup-image: ok ($(cat /proc/sys/fs/binfmt_misc/qemu-aarch64 | head -1))"
