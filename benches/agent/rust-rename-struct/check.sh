#!/bin/sh
# Success: no word "Config" is left in src/ or tests/, src/config.rs defines `pub struct Settings`,
# cargo test passes, and the expected renamed tests (hidden/tests) pass against the crate.
TASK_DIR=${TASK_DIR:-$(cd "$(dirname "$0")" && pwd)}
grep -rqw Config src tests && exit 1
grep -q 'pub struct Settings\b' src/config.rs || exit 1
cargo test --offline -q >/dev/null 2>&1 || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/w" && cp -R Cargo.toml src "$tmp/w/" && cp -R "$TASK_DIR/hidden/tests" "$tmp/w/tests" || exit 1
[ -f Cargo.lock ] && cp Cargo.lock "$tmp/w/"
cd "$tmp/w" && cargo test --offline -q >/dev/null 2>&1
