#!/usr/bin/env bash
# Runs `vibrant bench` and llama.cpp's `llama-bench` on the same GGUF files, same thread count,
# same test sizes, one after the other, and writes the ratio table (Vibrant / llama.cpp) with the
# raw outputs of both tools to docs/results/engine-speed-<date>.md.
#
#   scripts/bench-vs-llama.sh                  # the three test models, -p 512 -n 128 -r 3, 2 threads
#   THREADS=1 REPS=5 scripts/bench-vs-llama.sh
#   MODELS="/path/a.gguf /path/b.gguf" scripts/bench-vs-llama.sh
#
# llama.cpp's tools come from ../shared/tools/llama-anchor.sh (LLAMA_BIN overrides the folder); when
# they are absent the script says so and records Vibrant's numbers alone. Run it on an idle machine:
# on 2 cores, a build beside a benchmark halves its numbers.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

threads=${THREADS:-2}
reps=${REPS:-3}
pp=${PP:-512}
tg=${TG:-128}
depth=${DEPTH:-0}
models_dir=$(scripts/fetch-test-models.sh)
models=${MODELS:-"$models_dir/smollm2-135m-instruct-q4_1.gguf $models_dir/qwen2.5-coder-0.5b-instruct-awq-mixed.gguf $models_dir/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"}

llama_bin=${LLAMA_BIN:-}
if [ -z "$llama_bin" ]; then
  anchor=../shared/tools/llama-anchor.sh
  if [ -x "$anchor" ] || [ -f "$anchor" ]; then
    llama_bin=$(LLAMA_ANCHOR_DIR=${LLAMA_ANCHOR_DIR:-} bash "$anchor" 2>/dev/null || true)
  fi
fi
if [ -n "$llama_bin" ] && [ ! -x "$llama_bin/llama-bench" ]; then llama_bin=; fi
[ -z "$llama_bin" ] && echo "llama-bench not found (build it with ../shared/tools/llama-anchor.sh); recording Vibrant alone" >&2

cargo build --release --locked -p vibrant-cli >&2
vibrant=target/release/vibrant
out=docs/results/engine-speed-$(date +%F).md
raw=$(mktemp -d)
trap 'rm -rf "$raw"' EXIT

{
  echo "# Engine speed: Vibrant vs llama.cpp ($(date +%F))"
  echo
  echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
  echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown); kernels: ${VIBRANT_KERNELS:-auto}"
  echo "- command: \`vibrant bench -p $pp -n $tg -r $reps -t $threads -d $depth\` and \`llama-bench -p $pp -n $tg -r $reps -t $threads -d $depth\`"
  echo
  echo "| model | test | Vibrant t/s | llama.cpp t/s | ratio |"
  echo "|---|---|---:|---:|---:|"
} > "$out"

for m in $models; do
  name=$(basename "$m" .gguf)
  "$vibrant" bench -m "$m" -p "$pp" -n "$tg" -r "$reps" -t "$threads" -d "$depth" --json > "$raw/$name.vibrant.jsonl"
  if [ -n "$llama_bin" ]; then
    "$llama_bin/llama-bench" -m "$m" -p "$pp" -n "$tg" -r "$reps" -t "$threads" -d "$depth" -o json > "$raw/$name.llama.json" 2>/dev/null
  else
    echo "[]" > "$raw/$name.llama.json"
  fi
  python3 - "$name" "$raw/$name.vibrant.jsonl" "$raw/$name.llama.json" >> "$out" <<'PY'
import json, sys
name, vpath, lpath = sys.argv[1:]
ours = [json.loads(l) for l in open(vpath) if l.strip()]
theirs = json.load(open(lpath))
def key(r): return ("pp%d" % r["n_prompt"]) if r["n_prompt"] else ("tg%d" % r["n_gen"])
ref = {key(r): r for r in theirs}
for r in ours:
    k = key(r)
    v = "%.2f ± %.2f" % (r["avg_ts"], r["stddev_ts"])
    if k in ref:
        l = ref[k]
        print("| %s | %s | %s | %.2f ± %.2f | %.2f× |" % (name, k, v, l["avg_ts"], l["stddev_ts"], r["avg_ts"] / l["avg_ts"]))
    else:
        print("| %s | %s | %s | — | — |" % (name, k, v))
PY
done

{
  echo
  echo "## Raw outputs"
  for f in "$raw"/*; do
    echo
    echo "### $(basename "$f")"
    echo '```'
    cat "$f"
    echo '```'
  done
} >> "$out"
echo "$out"
