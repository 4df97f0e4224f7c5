#!/bin/sh
# Success: order_test.go is unchanged, the module builds and go test passes, and hidden subtotal
# tests pass (fractional prices times quantities).
TASK_DIR=${TASK_DIR:-$(cd "$(dirname "$0")" && pwd)}
cmp -s "$TASK_DIR/repo/order_test.go" order_test.go || exit 1
go build ./... >/dev/null 2>&1 || exit 1
go test ./... >/dev/null 2>&1 || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp -R . "$tmp/w" && cp "$TASK_DIR/hidden/hidden_test.go" "$tmp/w/" || exit 1
cd "$tmp/w" && go test ./... >/dev/null 2>&1
