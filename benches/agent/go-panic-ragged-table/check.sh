#!/bin/sh
# Success: go test passes; and in a scratch copy with the original texttable_test.go restored plus
# hidden tests (rows longer than the header, an empty header row), go test passes.
TASK_DIR=${TASK_DIR:-$(cd "$(dirname "$0")" && pwd)}
go test ./... >/dev/null 2>&1 || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp -R . "$tmp/w" && mkdir -p "$tmp/w/texttable" || exit 1
cp "$TASK_DIR/repo/texttable/texttable_test.go" "$TASK_DIR/hidden/hidden_test.go" "$tmp/w/texttable/" || exit 1
cd "$tmp/w" && go test ./... >/dev/null 2>&1
