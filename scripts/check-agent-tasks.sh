#!/usr/bin/env bash
# Validates the agent benchmark tasks under benches/agent/ (see benches/agent/README.md).
#
#   scripts/check-agent-tasks.sh [TASK...]
#
# For every task (or the ones named): copies repo/ into a scratch git repository and requires
# check.sh to FAIL there (the task is not already solved); copies it again, applies solution.patch
# with `patch -p1` and requires check.sh to PASS. Also requires that check.sh leaves the task folder
# untouched. Prints `ok <task>` or `FAIL <task>: reason` per task and `N passed, M failed` at the end;
# exits non-zero if any task failed. A task whose toolchain is missing (python3 + pytest, cargo, go,
# node, make + cc) FAILS with a message naming what to install; nothing is skipped.
#
# Needs: python3 with pytest, cargo, go, node, make and cc, patch, git. Writes only to a scratch
# directory (removed on exit): CARGO_TARGET_DIR points there, and Python writes no bytecode.
set -uo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
bench="$root/benches/agent"
per_check_timeout="${CHECK_TIMEOUT:-600}"

if ! python3 -m pytest --version >/dev/null 2>&1; then
    echo "FAIL: pytest is not importable by python3: run \`pip install pytest\` (or \`python3 -m pip install pytest\`)"
    exit 1
fi

tasks=()
if [[ $# -gt 0 ]]; then
    tasks=("$@")
else
    for d in "$bench"/*/; do tasks+=("$(basename "$d")"); done
fi

scratch="$(mktemp -d "${TMPDIR:-/tmp}/check-agent-tasks.XXXXXX")"
cleanup() {
    chmod -R u+w "$scratch" 2>/dev/null
    rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

export PYTHONDONTWRITEBYTECODE=1
export CARGO_TERM_COLOR=never
export GOTOOLCHAIN=local
export NO_COLOR=1

run_to=()
command -v timeout >/dev/null 2>&1 && run_to=(timeout "$per_check_timeout")

# What a task's repo/ needs, as "tool|how to get it" lines.
needs_of() {
    local repo="$1"
    if [[ -n "$(find "$repo" -name '*.py' -print -quit)" ]]; then
        echo "python3|install python3 and \`pip install pytest\`"
    fi
    [[ -f "$repo/Cargo.toml" ]] && echo "cargo|install Rust (rustup, https://rustup.rs) for cargo"
    [[ -f "$repo/go.mod" ]] && echo "go|install Go (e.g. \`apt-get install golang-go\`)"
    [[ -f "$repo/package.json" ]] && echo "node|install Node.js 18 or newer (node --test)"
    if [[ -f "$repo/Makefile" ]]; then
        echo "make|install make (e.g. \`apt-get install make\`)"
        echo "cc|install a C compiler as cc (e.g. \`apt-get install gcc\`)"
    fi
    return 0
}

fingerprint() {
    (cd "$1" && find . -print0 | LC_ALL=C sort -z | xargs -0 stat -c '%n %s %Y %a' 2>/dev/null)
}

# prepare TASK DIR WORK: copies repo/ into WORK as a fresh git repository (like scripts/bench-agent.sh)
prepare() {
    local dir="$1" work="$2"
    mkdir -p "$work"
    cp -R "$dir/repo/." "$work/"
    (cd "$work" && git init -q && git add -A \
        && git -c user.email=check@localhost -c user.name=check commit -qm fixture) >/dev/null 2>&1
}

# run_check TASK DIR WORK: exit status of check.sh run in WORK
run_check() {
    local task="$1" dir="$2" work="$3"
    (cd "$work" && TASK_DIR="$dir" CARGO_TARGET_DIR="$scratch/target/$task" \
        ${run_to[@]+"${run_to[@]}"} sh "$dir/check.sh" </dev/null >"$scratch/$task.check.log" 2>&1)
}

passed=0
failed=0
fail() {
    echo "FAIL $1: $2"
    failed=$((failed + 1))
}

for task in "${tasks[@]}"; do
    task="${task%/}"
    dir="$bench/$task"
    if [[ ! -d "$dir" ]]; then
        fail "$task" "no such task folder $dir"
        continue
    fi
    missing=""
    for f in TASK check.sh solution.patch; do
        [[ -s "$dir/$f" ]] || missing+=" $f"
    done
    [[ -d "$dir/repo" ]] || missing+=" repo/"
    if [[ -n "$missing" ]]; then
        fail "$task" "missing$missing"
        continue
    fi

    tool_msg=""
    while IFS='|' read -r tool how; do
        [[ -z "$tool" ]] && continue
        command -v "$tool" >/dev/null 2>&1 || tool_msg+="${tool_msg:+; }no $tool: $how"
    done < <(needs_of "$dir/repo")
    if [[ -n "$tool_msg" ]]; then
        fail "$task" "toolchain missing: $tool_msg"
        continue
    fi

    before="$(fingerprint "$dir")"
    base="$scratch/work/$task"

    # 1. Unsolved: check.sh must fail on the pristine repo.
    prepare "$dir" "$base/unsolved"
    if run_check "$task" "$dir" "$base/unsolved"; then
        fail "$task" "check.sh passes on the unmodified repo"
        continue
    fi

    # 2. Solved: check.sh must pass once solution.patch is applied.
    prepare "$dir" "$base/solved"
    if ! (cd "$base/solved" && patch -p1 -s --no-backup-if-mismatch <"$dir/solution.patch" >"$scratch/$task.patch.log" 2>&1); then
        fail "$task" "solution.patch does not apply: $(head -c 300 "$scratch/$task.patch.log" | tr '\n' ' ')"
        continue
    fi
    run_check "$task" "$dir" "$base/solved"
    rc=$?
    if [[ $rc -ne 0 ]]; then
        why="check.sh fails (exit $rc) with solution.patch applied"
        [[ $rc -eq 124 ]] && why="check.sh timed out after ${per_check_timeout}s with solution.patch applied"
        fail "$task" "$why"
        continue
    fi

    if [[ "$(fingerprint "$dir")" != "$before" ]]; then
        fail "$task" "check.sh modified files under benches/agent/$task"
        continue
    fi
    chmod -R u+w "$base" 2>/dev/null
    rm -rf "$base" "$scratch/target/$task"
    echo "ok $task"
    passed=$((passed + 1))
done

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
