#!/bin/sh
# Success: tests/durations.rs is unchanged, cargo test passes, and hidden parser tests pass.
TASK_DIR=${TASK_DIR:-$(cd "$(dirname "$0")" && pwd)}
cmp -s "$TASK_DIR/repo/tests/durations.rs" tests/durations.rs || exit 1
cargo test --offline -q >/dev/null 2>&1 || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/w" && cp -R Cargo.toml src tests "$tmp/w/" || exit 1
[ -f Cargo.lock ] && cp Cargo.lock "$tmp/w/"
cp "$TASK_DIR/hidden/hidden_durations.rs" "$tmp/w/tests/" || exit 1
cd "$tmp/w" && cargo test --offline -q >/dev/null 2>&1
