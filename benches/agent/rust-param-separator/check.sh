#!/bin/sh
# Success: cargo test passes (the repo's tests, updated for the new signatures; tests/format.rs
# keeps its 3 tests), and hidden tests of format_thousands(n, sep), summary_line and
# render_counts(rows, sep) pass.
TASK_DIR=${TASK_DIR:-$(cd "$(dirname "$0")" && pwd)}
[ "$(grep -c '#\[test\]' tests/format.rs 2>/dev/null)" -ge 3 ] || exit 1
cargo test --offline -q >/dev/null 2>&1 || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/w" && cp -R Cargo.toml src "$tmp/w/" && mkdir "$tmp/w/tests" || exit 1
[ -f Cargo.lock ] && cp Cargo.lock "$tmp/w/"
cp "$TASK_DIR/hidden/hidden_separator.rs" "$tmp/w/tests/" || exit 1
cd "$tmp/w" && cargo test --offline -q >/dev/null 2>&1
