# Sourced by scripts/cross-test and scripts/bench. `cross_rustc_env TRIPLE` sets the array
# `rustc_env` to the command prefix that builds for TRIPLE: empty for rustup's Rust with the
# target added, else Debian's rustc-web with the target's standard library unpacked by
# scripts/setup-cross.sh (BITIG_CROSS_RUST=debian forces that). Returns 1 if neither exists.
cross_rustc_env() {
  local triple=$1
  local sysroot="$PWD/target/debian-rust/$triple/usr"
  rustc_env=()
  if [ "${BITIG_CROSS_RUST:-}" = debian ] ||
     ! rustup target list --installed 2>/dev/null | grep -qx "$triple"; then
    if [ -d "$sysroot/lib/rustlib/$triple" ] && [ -x /usr/bin/rustc ]; then
      rustc_env=(env RUSTC=/usr/bin/rustc "RUSTFLAGS=--sysroot=$sysroot")
      echo "=== $triple: Debian's $(/usr/bin/rustc --version), standard library from $sysroot"
    else
      echo "no Rust standard library for $triple (see scripts/setup-cross.sh)" >&2
      return 1
    fi
  fi
}
