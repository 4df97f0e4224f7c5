#!/bin/sh
# Success: kv/kv_test.go keeps its tests and has at least one more Test function that mentions
# Keys, go vet and go test pass, and hidden Keys tests pass.
TASK_DIR=${TASK_DIR:-$(cd "$(dirname "$0")" && pwd)}
f=kv/kv_test.go
[ -f "$f" ] || exit 1
old=$(grep -c '^func Test' "$TASK_DIR/repo/$f")
new=$(grep -c '^func Test' "$f")
[ "$new" -gt "$old" ] || exit 1
grep -q 'Keys(' "$f" || exit 1
grep -q '^func TestSetGet(' "$f" && grep -q '^func TestDeleteAndLen(' "$f" || exit 1
go vet ./... >/dev/null 2>&1 || exit 1
go test ./... >/dev/null 2>&1 || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp -R . "$tmp/w" && cp "$TASK_DIR/hidden/hidden_test.go" "$tmp/w/kv/" || exit 1
cd "$tmp/w" && go test ./... >/dev/null 2>&1
