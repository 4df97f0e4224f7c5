#!/bin/sh
# Success: test_buffer.c is unchanged, make test builds and passes, and a hidden superset of the
# tests (empty buffers, lone newlines, repeated chomp) passes when built the same way.
TASK_DIR=${TASK_DIR:-$(cd "$(dirname "$0")" && pwd)}
cmp -s "$TASK_DIR/repo/test_buffer.c" test_buffer.c || exit 1
make -B -s test >/dev/null 2>&1 || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp -R . "$tmp/w" && cp "$TASK_DIR/hidden/test_buffer.c" "$tmp/w/" || exit 1
cd "$tmp/w" && make -B -s test >/dev/null 2>&1
