#!/usr/bin/env bash
# Context benchmarks (issue 6): index throughput, re-index, query latency, peak memory on the Rust
# sources of ~/.cargo/registry/src (copied to a scratch directory, because the benchmark edits
# files), then search/context recall@5 on this repository. Numbers go to docs/results/context.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

src=${CARGO_HOME:-$HOME/.cargo}/registry/src
corpus=${VIBRANT_BENCH_CORPUS:-/tmp/vibrant-context-corpus}
rm -rf "$corpus"
mkdir -p "$corpus"
# Rust sources only, mtimes preserved (a fresh mtime would put every file in the racy window).
(cd "$src" && find . -name '*.rs' -type f -print0 | cpio -0pdm --quiet "$corpus")
echo "corpus: $(find "$corpus" -name '*.rs' | wc -l) files, $(du -sh --apparent-size "$corpus" | cut -f1)"
# The machine is shared: record the load next to the numbers (wall-clock throughput depends on it;
# the benchmark also prints CPU seconds and the throughput both cores would give).
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"

cargo build --profile bench -p vibrant-context --bench context
bench=$(cargo bench -p vibrant-context --bench context --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json,sys; print([m["executable"] for m in map(json.loads, sys.stdin) if m.get("reason")=="compiler-artifact" and m.get("executable") and "context" in m["target"]["name"]][-1])')
"$bench" index "$corpus" crates/vibrant-context/benches/queries.txt
echo "load after the index benchmark: $(cut -d' ' -f1-3 /proc/loadavg)"
"$bench" quality . crates/vibrant-context/tests/data/quality-questions.tsv
rm -rf "$corpus"
