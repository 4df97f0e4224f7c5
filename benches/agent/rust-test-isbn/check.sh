#!/bin/sh
# Success: src/isbn.rs is unchanged, the crate's integration tests have more #[test] functions than
# before and pass, and they FAIL when src/isbn.rs is replaced by a seeded mutant
# (hidden/isbn_mutant.rs: checks the sum modulo 10 instead of 11).
TASK_DIR=${TASK_DIR:-$(cd "$(dirname "$0")" && pwd)}
cmp -s "$TASK_DIR/repo/src/isbn.rs" src/isbn.rs || exit 1
old=$(cat "$TASK_DIR"/repo/tests/*.rs | grep -c '#\[test\]')
new=$(cat tests/*.rs 2>/dev/null | grep -c '#\[test\]')
[ "$new" -gt "$old" ] || exit 1
grep -q is_valid_isbn10 tests/*.rs || exit 1
cargo test --offline -q >/dev/null 2>&1 || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/w" && cp -R Cargo.toml src tests "$tmp/w/" || exit 1
[ -f Cargo.lock ] && cp Cargo.lock "$tmp/w/"
cp "$TASK_DIR/hidden/isbn_mutant.rs" "$tmp/w/src/isbn.rs" || exit 1
cd "$tmp/w" && ! cargo test --offline -q >/dev/null 2>&1
