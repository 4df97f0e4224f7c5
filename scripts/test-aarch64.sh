#!/usr/bin/env bash
# Runs the vibrant-kernels test suite for aarch64 under qemu user-mode emulation, twice: on an emulated CPU
# with the dot-product extension (QEMU_CPU=max: levels scalar, neon, neondot) and on one without it
# (QEMU_CPU=cortex-a57: scalar, neon). The property tests in tests/all/isa.rs compare every detected level
# with the scalar specification; VIBRANT_EXPECT_ISAS makes the run fail if detection reports other levels.
#
#   scripts/test-aarch64.sh
#   PROPTEST_CASES=2000 scripts/test-aarch64.sh       # deeper property tests
#   AARCH64_TARGET_DIR=/somewhere scripts/test-aarch64.sh
#
# Needs the rustup target aarch64-unknown-linux-gnu, qemu-aarch64 and an aarch64 linker
# (gcc-aarch64-linux-gnu, libc6-dev-arm64-cross); the missing ones are installed (rustup, apt-get). Where
# apt-get is unavailable the script says so and exits 0 without testing. Emulation says nothing about speed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

started=$(date +%s)
target=aarch64-unknown-linux-gnu
target_dir=${AARCH64_TARGET_DIR:-${CARGO_TARGET_DIR:-target}/aarch64-qemu}
sysroot=/usr/aarch64-linux-gnu

if ! rustup target list --installed 2>/dev/null | grep -qx "$target"; then
  echo "test-aarch64: installing the rustup target $target" >&2
  rustup target add "$target"
fi

if ! command -v qemu-aarch64 >/dev/null || ! command -v aarch64-linux-gnu-gcc >/dev/null \
  || [ ! -d "$sysroot/lib" ]; then
  if ! command -v apt-get >/dev/null; then
    echo "test-aarch64: SKIPPED: qemu-aarch64 or aarch64-linux-gnu-gcc is missing and apt-get is not" \
      "available to install them (qemu-user, gcc-aarch64-linux-gnu, libc6-dev-arm64-cross)" >&2
    exit 0
  fi
  sudo=()
  if [ "$(id -u)" != 0 ]; then
    if ! command -v sudo >/dev/null; then
      echo "test-aarch64: SKIPPED: not root and no sudo to install qemu-user and the aarch64 cross gcc" >&2
      exit 0
    fi
    sudo=(sudo)
  fi
  echo "test-aarch64: installing qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross" >&2
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq \
    qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross >/dev/null
fi

export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L $sysroot"

run() {
  local cpu=$1 expect=$2 t0
  t0=$(date +%s)
  printf '\n==> vibrant-kernels on aarch64, QEMU_CPU=%s (levels %s)\n' "$cpu" "$expect" >&2
  QEMU_CPU=$cpu VIBRANT_EXPECT_ISAS=$expect \
    cargo test --target "$target" --target-dir "$target_dir" -p vibrant-kernels
  printf '==> QEMU_CPU=%s: %ss\n' "$cpu" "$(( $(date +%s) - t0 ))" >&2
}

run max scalar,neon,neondot
run cortex-a57 scalar,neon
printf '\n==> test-aarch64: passed on both CPU models in %ss\n' "$(( $(date +%s) - started ))" >&2
