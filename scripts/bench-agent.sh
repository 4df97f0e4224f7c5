#!/usr/bin/env bash
# End-to-end agent benchmark (not a CI gate): runs `vibrant agent` on each fixture task under
# benches/agent/<task>/ (repo/ copied to a scratch git repository, TASK as the request) and decides
# success with the task's own check.sh — never with the agent's claim. Prints one JSON line per
# task (success, outcome, steps, tool calls, tokens, seconds) and a markdown table at the end.
#
#   scripts/bench-agent.sh [-m MODEL.gguf] [-t THREADS] [--no-constrain] [TASK...]
#
# Needs python3 with pytest and cargo on PATH. Uses a scratch state dir, so checkpoints and indexes
# do not mix with the user's.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
model="${HOME}/.cache/vibrant/test-models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
threads=""
extra=()
tasks=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        -m) model="$2"; shift 2 ;;
        -t) threads="$2"; shift 2 ;;
        --no-constrain) extra+=(--no-constrain); shift ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        *) tasks+=("$1"); shift ;;
    esac
done
if [[ ${#tasks[@]} -eq 0 ]]; then
    for d in "$root"/benches/agent/*/; do tasks+=("$(basename "$d")"); done
fi
[[ -n "$threads" ]] && extra+=(-t "$threads")

vibrant="${VIBRANT_BIN:-}"
if [[ -z "$vibrant" ]]; then
    cargo build --release -q -p vibrant-cli --manifest-path "$root/Cargo.toml"
    vibrant="$root/target/release/vibrant"
fi

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
export VIBRANT_STATE_DIR="$scratch/state" VIBRANT_DATA_DIR="$scratch/data"
results="$scratch/results.jsonl"

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
    (cd "$work" && "$vibrant" agent -q --json --approval full-auto -m "$model" "${extra[@]}" "$(cat "$dir/TASK")") \
        > "$scratch/$task.events.jsonl" 2> "$scratch/$task.stderr"
    code=$?
    (cd "$work" && sh "$dir/check.sh")
    ok=$?
    set -e
    end=$(date +%s.%N)
    python3 - "$task" "$scratch/$task.events.jsonl" "$code" "$ok" "$start" "$end" >> "$results" <<'PY'
import json, sys
task, events, code, ok, start, end = sys.argv[1:]
report = {}
for line in open(events):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("type") == "finished":
        report = e["report"]
print(json.dumps({
    "task": task, "success": ok == "0", "exit_code": int(code),
    "outcome": report.get("outcome", {}).get("kind", "none"),
    "steps": report.get("steps"), "tool_calls": report.get("tool_calls"),
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
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print()
print("| task | success | outcome | steps | tool calls (failed, unreadable) | reflections | prompt tokens (reused) | generated | seconds |")
print("|---|---|---|---|---|---|---|---|---|")
for r in rows:
    print(f"| {r['task']} | {'yes' if r['success'] else 'no'} | {r['outcome']} | {r['steps']} | {r['tool_calls']} ({r['failed_calls']}, {r['invalid_calls']}) | {r['reflections']} | {r['prompt_tokens']} ({r['reused_tokens']}) | {r['completion_tokens']} | {r['seconds']} |")
n = len(rows); s = sum(r["success"] for r in rows)
print(f"\nsuccess rate: {s}/{n}")
PY
