#!/bin/sh
# Success: no Go file uses the identifiers Item or NewItem any more, package todo declares
# `type Task struct` and func NewTask, go build/vet/test pass, and the expected renamed tests
# (hidden/todo, hidden/store) pass against the code.
TASK_DIR=${TASK_DIR:-$(cd "$(dirname "$0")" && pwd)}
grep -rqwE 'Item|NewItem' --include='*.go' . && exit 1
grep -rq '^type Task struct' todo || exit 1
grep -rq '^func NewTask(' todo || exit 1
go build ./... >/dev/null 2>&1 || exit 1
go vet ./... >/dev/null 2>&1 || exit 1
go test ./... >/dev/null 2>&1 || exit 1
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
cp -R . "$tmp/w" || exit 1
rm -f "$tmp/w"/todo/*_test.go "$tmp/w"/store/*_test.go
cp "$TASK_DIR"/hidden/todo/*_test.go "$tmp/w/todo/" && cp "$TASK_DIR"/hidden/store/*_test.go "$tmp/w/store/" || exit 1
cd "$tmp/w" && go test ./... >/dev/null 2>&1
