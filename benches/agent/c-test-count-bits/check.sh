#!/bin/sh
# Success: bits.c is unchanged, test_bits.c has more CHECKs than before (some on count_bits) and
# make test passes, and the tests FAIL when bits.c is replaced by a seeded mutant
# (hidden/bits_mutant.c: count_bits ignores the top bit).
TASK_DIR=${TASK_DIR:-$(cd "$(dirname "$0")" && pwd)}
cmp -s "$TASK_DIR/repo/bits.c" bits.c || exit 1
[ -f test_bits.c ] || exit 1
old=$(grep -c 'CHECK(' "$TASK_DIR/repo/test_bits.c")
new=$(grep -c 'CHECK(' test_bits.c)
[ "$new" -gt "$old" ] || exit 1
grep -q 'count_bits' test_bits.c || exit 1
make -B -s test >/dev/null 2>&1 || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp -R . "$tmp/w" && cp "$TASK_DIR/hidden/bits_mutant.c" "$tmp/w/bits.c" || exit 1
cd "$tmp/w" && ! make -B -s test >/dev/null 2>&1
