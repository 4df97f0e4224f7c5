#!/usr/bin/env bash
# Prompt-lookup speculative decoding against plain decoding (docs/results/speculative.md): for each
# test model, three prompts — a whole-file rewrite, one function fixed, prose that copies nothing —
# each run plain, lookup, plain, lookup, greedy alone and as a batch of 4 sampled candidates.
# Run it on an otherwise idle machine: scripts/bench-speculative.sh > out.txt
set -euo pipefail
cd "$(dirname "$0")/.."
models_dir="${VIBRANT_TEST_MODELS:-$HOME/.cache/vibrant/test-models}"
cargo build --release --locked -p vibrant-engine --examples >&2
x=target/release/examples/speculative
for name in qwen2.5-coder-1.5b-instruct-q4_k_m qwen2.5-coder-0.5b-instruct-awq-mixed; do
    m="$models_dir/$name.gguf"
    [ -f "$m" ] || { echo "missing $m: run scripts/fetch-test-models.sh" >&2; exit 1; }
    echo "=== $name"
    echo "--- A: whole-file rewrite (report.py, type hints)"
    "$x" "$m" benches/agent/py-fix-top-customers/repo/report.py \
        "Add type hints to every function. Reply with the whole file." 400 4
    echo "--- B: fix one function (wordfreq.go)"
    "$x" "$m" benches/agent/go-fix-word-freq/repo/wordfreq.go \
        "The word counts are wrong for words with capital letters. Reply with the corrected function only, in a code block." 300 4
    echo "--- C: prose, no code (report.py)"
    "$x" "$m" benches/agent/py-fix-top-customers/repo/report.py \
        "Explain in plain English prose, without code, what a business analyst would use this for and what could be improved." 250 4
done
