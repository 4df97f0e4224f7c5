#!/usr/bin/env bash
# End-to-end agent benchmark (not a CI gate): runs `vibrant agent` on each task under
# benches/agent/<task>/ (repo/ copied to a scratch git repository, TASK as the request) and decides
# success with the task's own check.sh (run with TASK_DIR set) — never with the agent's claim.
# Prints one JSON line per task and, at the end, a markdown table with the success rate, the
# median wall time, steps and tokens.
#
#   scripts/bench-agent.sh [-m MODEL.gguf] [-t THREADS] [--timeout SECS] [--candidates N]
#                          [--out RESULTS.jsonl] [TASK...]
#
# Installs what the tasks need when it is missing (pytest with pip; Go, make and a C compiler
# with apt-get) and says so. Uses a scratch state dir, so checkpoints and indexes do not mix
# with the user's. scripts/check-agent-tasks.sh checks that every task is well-formed.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
model="${HOME}/.cache/vibrant/test-models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
threads=""
timeout_s=300
out=""
extra=()
tasks=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        -m) model="$2"; shift 2 ;;
        -t) threads="$2"; shift 2 ;;
        --timeout) timeout_s="$2"; shift 2 ;;
        --candidates) extra+=(--candidates "$2"); shift 2 ;;
        --out) out="$2"; shift 2 ;;
        --no-constrain) extra+=(--no-constrain); shift ;;
        -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
        -*) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
        *) tasks+=("$1"); shift ;;
    esac
done
if [[ ${#tasks[@]} -eq 0 ]]; then
    for d in "$root"/benches/agent/*/; do
        [[ -f "$d/TASK" ]] && tasks+=("$(basename "$d")")
    done
fi
[[ -n "$threads" ]] && extra+=(-t "$threads")
[[ -f "$model" ]] || { echo "no model at $model (scripts/fetch-test-models.sh fetches the test models)" >&2; exit 2; }

# What the tasks run: install what is missing.
if ! python3 -m pytest --version >/dev/null 2>&1; then
    echo "installing pytest (pip)" >&2
    python3 -m pip install -q pytest >&2 || { echo "pytest is missing and pip could not install it" >&2; exit 2; }
fi
missing=()
command -v go >/dev/null || missing+=(golang-go)
command -v make >/dev/null || missing+=(make)
command -v cc >/dev/null || missing+=(gcc)
command -v node >/dev/null || missing+=(nodejs)
if [[ ${#missing[@]} -gt 0 ]]; then
    echo "installing ${missing[*]} (apt-get)" >&2
    if command -v apt-get >/dev/null && [[ $(id -u) -eq 0 ]]; then
        apt-get update -qq </dev/null >&2 && apt-get install -y -qq "${missing[@]}" </dev/null >&2
    else
        echo "cannot install ${missing[*]}: install them and run again" >&2; exit 2
    fi
fi

vibrant="${VIBRANT_BIN:-}"
if [[ -z "$vibrant" ]]; then
    cargo build --release -q -p vibrant-cli --manifest-path "$root/Cargo.toml"
    vibrant="$root/target/release/vibrant"
fi

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
export VIBRANT_STATE_DIR="$scratch/state" VIBRANT_DATA_DIR="$scratch/data"
# Go: no module downloads, the local toolchain.
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
results="${out:-$scratch/results.jsonl}"
: > "$results"

for task in "${tasks[@]}"; do
    dir="$root/benches/agent/$task"
    [[ -f "$dir/TASK" ]] || { echo "no task $task" >&2; exit 2; }
    work="$scratch/work/$task"
    mkdir -p "$work"
    cp -r "$dir/repo/." "$work/"
    (cd "$work" && git init -q && git add -A && git -c user.email=b@b -c user.name=bench commit -qm fixture)
    echo "== $task" >&2
    start=$(date +%s.%N)
    set +e
    (cd "$work" && timeout --signal=INT --kill-after=30 $((timeout_s + 60)) \
        "$vibrant" agent -q --json --approval full-auto --timeout "$timeout_s" -m "$model" "${extra[@]}" "$(cat "$dir/TASK")") \
        > "$scratch/$task.events.jsonl" 2> "$scratch/$task.stderr"
    code=$?
    end=$(date +%s.%N)
    (cd "$work" && TASK_DIR="$dir" CARGO_TARGET_DIR="$scratch/check-target" sh "$dir/check.sh") >/dev/null 2>&1
    ok=$?
    set -e
    python3 - "$task" "$scratch/$task.events.jsonl" "$code" "$ok" "$start" "$end" "$(basename "$model")" >> "$results" <<'PY'
import json, sys
task, events, code, ok, start, end, model = sys.argv[1:]
report = {}
for line in open(events):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("type") == "finished":
        report = e["report"]
print(json.dumps({
    "task": task, "model": model, "success": ok == "0", "exit_code": int(code),
    "outcome": report.get("outcome", {}).get("kind", "none"),
    "steps": report.get("steps"), "tool_calls": report.get("tool_calls"),
    "candidates": report.get("candidates"),
    "failed_calls": report.get("failed_calls"), "invalid_calls": report.get("invalid_calls"),
    "reflections": report.get("reflections"),
    "prompt_tokens": report.get("prompt_tokens"), "reused_tokens": report.get("reused_tokens"),
    "completion_tokens": report.get("completion_tokens"),
    "seconds": round(float(end) - float(start), 1),
}))
PY
    tail -1 "$results"
    if [[ -n "${KEEP_LOGS:-}" ]]; then
        mkdir -p "$KEEP_LOGS" && cp "$scratch/$task.events.jsonl" "$scratch/$task.stderr" "$KEEP_LOGS/"
    fi
done

python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print()
print("| task | success | outcome | candidates | steps | tool calls (failed, unreadable) | prompt tokens (reused) | generated | seconds |")
print("|---|---|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['task']} | {'yes' if r['success'] else 'no'} | {r['outcome']} | {r['candidates']} | {r['steps']} | {r['tool_calls']} ({r['failed_calls']}, {r['invalid_calls']}) | {r['prompt_tokens']} ({r['reused_tokens']}) | {r['completion_tokens']} | {r['seconds']} |")
n = len(rows); s = sum(r["success"] for r in rows)
med = lambda k: statistics.median([r[k] or 0 for r in rows]) if rows else 0
print(f"\nsuccess: {s}/{n} ({100.0 * s / max(n, 1):.0f}%); median wall {med('seconds'):.1f} s, "
      f"median steps {med('steps')}, median generated tokens {med('completion_tokens')}, "
      f"median prompt tokens {med('prompt_tokens')}")
PY
