#!/bin/sh
# Success: test_ringbuf.c is unchanged, make test passes, and a hidden superset of the tests
# (many wrap-arounds, capacity 1, failed pop leaves *out alone) passes when built the same way.
TASK_DIR=${TASK_DIR:-$(cd "$(dirname "$0")" && pwd)}
cmp -s "$TASK_DIR/repo/test_ringbuf.c" test_ringbuf.c || exit 1
make -B -s test >/dev/null 2>&1 || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp -R . "$tmp/w" && cp "$TASK_DIR/hidden/test_ringbuf.c" "$tmp/w/" || exit 1
cd "$tmp/w" && make -B -s test >/dev/null 2>&1
