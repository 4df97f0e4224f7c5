#!/usr/bin/env bash
# The project's test command: fetch the test models (fast when cached), then formatting, lints,
# the whole test suite under cargo-nextest, and doctests. Each stage prints its elapsed time; the
# last line repeats the test runner's summary.
#
#   scripts/test.sh
#
# It first runs scripts/prereqs.sh, which checks and installs what the stages need (cargo-nextest,
# python3 with pip for the model fetch, zsh, pytest, go, node, …) and stops with one line per
# prerequisite it cannot install. Under CI=true the nextest `ci` profile is used (every test's
# result is printed).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

started=$(date +%s)
stage() {
  local name=$1; shift
  local t0; t0=$(date +%s)
  printf '\n==> %s\n' "$name" >&2
  "$@"
  printf '==> %s: %ss\n' "$name" "$(( $(date +%s) - t0 ))" >&2
}

profile=default
[ "${CI:-}" = "true" ] && profile=ci

stage "prerequisites" scripts/prereqs.sh
models_dir=$(stage "test models" scripts/fetch-test-models.sh)
export VIBRANT_TEST_MODELS=$models_dir

stage "cargo fmt" cargo fmt --all --check
stage "cargo clippy" cargo clippy --workspace --all-targets --locked -- -D warnings
# The engine must build for aarch64 (one release binary per platform; NEON kernels are dispatched at
# runtime). Only the pure-Rust engine crates: the C parts of other crates would need a cross compiler.
if rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu; then
  stage "aarch64 clippy" cargo clippy --locked --target aarch64-unknown-linux-gnu \
    -p vibrant-gguf -p vibrant-kernels -p vibrant-tokenizer -p vibrant-engine -- -D warnings
  # The NEON / NEON+dotprod kernels against the scalar spec, under qemu (two emulated CPU models).
  if command -v qemu-aarch64 >/dev/null && command -v aarch64-linux-gnu-gcc >/dev/null; then
    stage "aarch64 kernels (qemu)" scripts/test-aarch64.sh
  else
    printf '\n==> aarch64 kernel tests skipped: qemu-aarch64 or aarch64-linux-gnu-gcc missing (see scripts/test-aarch64.sh)\n' >&2
    # In CI they must run: .ci/run installs them (scripts/prereqs.sh --aarch64).
    [ "${CI:-}" = "true" ] && { echo "error: CI=true but the aarch64 kernel tests cannot run" >&2; exit 1; }
  fi
else
  printf '\n==> aarch64 stages skipped: rustup target aarch64-unknown-linux-gnu is not installed\n' >&2
  [ "${CI:-}" = "true" ] && { echo "error: CI=true but the aarch64 stages cannot run" >&2; exit 1; }
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
stage "cargo nextest" bash -o pipefail -c 'cargo nextest run --workspace --locked --profile "$1" 2>&1 | tee "$2"' _ "$profile" "$log"
stage "doctests" cargo test --workspace --doc --locked
# The agent benchmark's tasks stay well-formed: each check fails on its fixture and passes with
# its reference solution (Python/pytest, Rust, node, Go, C; scripts/prereqs.sh installs them).
stage "agent benchmark tasks" scripts/check-agent-tasks.sh
# A new user's first run: clean HOME, `vibrant ask "what does this project do?"` in a small
# repository, the model downloaded from a loopback imitation of the Hub (issue 15).
stage "fresh-machine walkthrough" scripts/walkthrough.sh
# Every command of the user guide (docs/guide), run on a fresh HOME and a scratch repository, so
# the guide cannot go stale (issue 15).
stage "user guide commands" scripts/doc-test.sh
# The fallback kernels on a real model: the default run uses the best ISA the CPU has (AVX-512 on
# the CI machine), so the AVX2 path gets SmolLM2's greedy and perplexity parity here. The scalar
# path is the spec every SIMD kernel is property-tested against; on a real model it gets SmolLM2's
# greedy parity (~6 s; its perplexity test takes minutes there).
stage "engine on AVX2 kernels" env VIBRANT_KERNELS=avx2 cargo nextest run --locked --profile "$profile" \
  -p vibrant-engine --test parity greedy_smollm2 perplexity_smollm2
stage "engine on scalar kernels" env VIBRANT_KERNELS=scalar cargo nextest run --locked --profile "$profile" \
  -p vibrant-engine --test parity greedy_smollm2

printf '\nall stages passed in %ss\n' "$(( $(date +%s) - started ))"
grep -E '^ *Summary \[' "$log" | tail -n 1 | sed 's/^ *//'
