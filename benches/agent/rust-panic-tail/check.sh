#!/bin/sh
# Success: cargo test passes; and in a scratch copy with the original tests/tail.rs restored plus
# hidden tests (n larger than the number of lines, n == 0, usize::MAX), cargo test passes.
TASK_DIR=${TASK_DIR:-$(cd "$(dirname "$0")" && pwd)}
cargo test --offline -q >/dev/null 2>&1 || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/w" && cp -R Cargo.toml src tests "$tmp/w/" || exit 1
[ -f Cargo.lock ] && cp Cargo.lock "$tmp/w/"
cp "$TASK_DIR/repo/tests/tail.rs" "$TASK_DIR/hidden/hidden_tail.rs" "$tmp/w/tests/" || exit 1
cd "$tmp/w" && cargo test --offline -q >/dev/null 2>&1
