#!/usr/bin/env bash
# Runs `vibrant bench` and llama.cpp's `llama-bench` on the same GGUF files, same thread count,
# same test sizes, one after the other, and writes the ratio table (Vibrant / llama.cpp) with the
# raw outputs of both tools to docs/results/engine-speed-<date>.md.
#
#   scripts/bench-vs-llama.sh                  # the three test models, -p 512 -n 128 -r 3, 2 threads
#   THREADS=1 REPS=5 scripts/bench-vs-llama.sh
#   MODELS="/path/a.gguf /path/b.gguf" scripts/bench-vs-llama.sh
#   FULL=1 scripts/bench-vs-llama.sh          # issue 4's whole table: 2 and 1 threads, decode at depth
#                                              # 4096 on the 1.5B, peak RSS and time to first token
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
[ -n "$llama_bin" ] && export LD_LIBRARY_PATH="$llama_bin${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
[ -z "$llama_bin" ] && echo "llama-bench not found (build it with ../shared/tools/llama-anchor.sh); recording Vibrant alone" >&2

cargo build --release --locked -p vibrant-cli >&2
vibrant=target/release/vibrant
out=${OUT:-docs/results/engine-speed-$(date +%F-%H%M).md}
raw=$(mktemp -d)
trap 'rm -rf "$raw"' EXIT

{
  echo "# Engine speed: Vibrant vs llama.cpp ($(date +%F))"
  echo
  echo "- machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores"
  echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown); kernels: ${VIBRANT_KERNELS:-auto}"
  echo "- command: \`vibrant bench -p $pp -n $tg -r $reps -t $threads -d $depth\` and \`llama-bench -p $pp -n $tg -r $reps -t $threads -d $depth\`"
  echo
  echo "- load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo
  echo "| model | threads | test | Vibrant t/s | llama.cpp t/s | ratio | peak RSS Vibrant / llama.cpp (MiB) |"
  echo "|---|---:|---|---:|---:|---:|---|"
} > "$out"

# Peak RSS (MiB) of a command, from /usr/bin/time (0 when it is missing).
peak() {
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f '%M' -o "$raw/rss" "$@" && echo $(( $(tail -1 "$raw/rss") / 1024 )) > "$raw/rss.mib"
  else
    "$@" && echo 0 > "$raw/rss.mib"
  fi
}

# One comparison: model, threads, pp, tg, depth.
compare() {
  local m=$1 t=$2 p=$3 n=$4 d=$5
  local name tag
  name=$(basename "$m" .gguf)
  tag="$name.t$t.p$p.n$n.d$d"
  peak "$vibrant" bench -m "$m" -p "$p" -n "$n" -r "$reps" -t "$t" -d "$d" --json > "$raw/$tag.vibrant.jsonl"
  local rss_v rss_l=0
  rss_v=$(cat "$raw/rss.mib")
  if [ -n "$llama_bin" ]; then
    peak "$llama_bin/llama-bench" -m "$m" -p "$p" -n "$n" -r "$reps" -t "$t" -d "$d" -o json > "$raw/$tag.llama.json" 2>/dev/null
    rss_l=$(cat "$raw/rss.mib")
  else
    echo "[]" > "$raw/$tag.llama.json"
  fi
  python3 - "$name" "$t" "$rss_v" "$rss_l" "$raw/$tag.vibrant.jsonl" "$raw/$tag.llama.json" >> "$out" <<'PY'
import json, sys
name, threads, rss_v, rss_l, vpath, lpath = sys.argv[1:]
ours = [json.loads(l) for l in open(vpath) if l.strip()]
theirs = json.load(open(lpath))
def key(r):
    k = ("pp%d" % r["n_prompt"]) if r["n_prompt"] else ("tg%d" % r["n_gen"])
    return k + (" @ d%d" % r["n_depth"] if r.get("n_depth") else "")
ref = {key(r): r for r in theirs}
rss = "%s / %s" % (rss_v, rss_l if rss_l != "0" else "—")
for r in ours:
    k = key(r)
    v = "%.2f ± %.2f" % (r["avg_ts"], r["stddev_ts"])
    if k in ref:
        l = ref[k]
        print("| %s | %s | %s | %s | %.2f ± %.2f | %.2f× | %s |" % (name, threads, k, v, l["avg_ts"], l["stddev_ts"], r["avg_ts"] / l["avg_ts"], rss))
    else:
        print("| %s | %s | %s | %s | — | — | %s |" % (name, threads, k, v, rss))
PY
}

for m in $models; do
  compare "$m" "$threads" "$pp" "$tg" "$depth"
done
if [ -n "${FULL:-}" ]; then
  for m in $models; do
    compare "$m" 1 "$pp" "$tg" 0
  done
  big=$(echo $models | tr ' ' '\n' | grep -i '1.5b' | head -1)
  [ -n "$big" ] && compare "$big" "$threads" 0 32 4096

  # Time from process start to the first generated token of a short prompt (load + prefill + one
  # token, then exit), median of five, page cache warm.
  {
    echo
    echo "## Time to first token (\`-p 'def fibonacci(n):' -n 1\`, $threads threads, median of 5 wall-clock runs)"
    echo
    echo "| model | Vibrant s | llama.cpp s | ratio (lower is better) |"
    echo "|---|---:|---:|---:|"
  } >> "$out"
  for m in $models; do
    ours=() theirs=()
    for _ in 1 2 3 4 5; do
      s0=$(date +%s.%N)
      "$vibrant" run -m "$m" -p 'def fibonacci(n):' -n 1 -t "$threads" --temp 0 > /dev/null 2>&1
      ours+=("$(echo "$(date +%s.%N) - $s0" | bc)")
      if [ -n "$llama_bin" ] && [ -x "$llama_bin/llama-completion" ]; then
        s0=$(date +%s.%N)
        "$llama_bin/llama-completion" -m "$m" -p 'def fibonacci(n):' -n 1 -t "$threads" -no-cnv --temp 0 \
          --no-display-prompt --no-warmup < /dev/null > /dev/null 2>&1
        theirs+=("$(echo "$(date +%s.%N) - $s0" | bc)")
      fi
    done
    python3 - "$(basename "$m" .gguf)" "${ours[*]}" "${theirs[*]:-}" >> "$out" <<'PY'
import statistics, sys
name, ours, theirs = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
o = statistics.median(map(float, ours))
if theirs:
    t = statistics.median(map(float, theirs))
    print("| %s | %.3f | %.3f | %.2f× |" % (name, o, t, o / t))
else:
    print("| %s | %.3f | — | — |" % (name, o))
PY
  done
fi
echo >> "$out"
echo "- load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out"

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
