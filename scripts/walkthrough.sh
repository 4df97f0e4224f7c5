#!/usr/bin/env bash
# Fresh-machine walkthrough (issue 15): a clean HOME, no model, no index, and the README's first
# command run in a small repository — `vibrant ask "what does this project do?"` (with -y, the
# non-interactive consent to download). The model download goes to a loopback imitation of the
# Hugging Face Hub (crates/vibrant-models/examples/fake_hub.rs) that serves a test model under the
# file name this machine's recommendation asks for. Passes when the answer is about the
# repository and the follow-up question's answer names its function.
#
#   scripts/walkthrough.sh        (VIBRANT_BIN=path to use a built binary; VIBRANT_TEST_MODELS dir)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
models=${VIBRANT_TEST_MODELS:-$HOME/.cache/vibrant/test-models}
served="$models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
[[ -f $served ]] || { echo "walkthrough: $served is missing (run scripts/fetch-test-models.sh)" >&2; exit 1; }

cargo build -q --locked -p vibrant-cli -p vibrant-models --example fake_hub --manifest-path "$root/Cargo.toml"
target=${CARGO_TARGET_DIR:-$root/target}
vibrant=${VIBRANT_BIN:-$target/debug/vibrant}
fake_hub=$target/debug/examples/fake_hub

tmp=$(mktemp -d)
hub_pid=
cleanup() { [[ -n $hub_pid ]] && kill "$hub_pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

# A fresh user: nothing configured, nothing downloaded, nothing indexed.
export HOME=$tmp/home
mkdir -p "$HOME"
unset VIBRANT_STATE_DIR VIBRANT_DATA_DIR VIBRANT_CONFIG_DIR VIBRANT_CACHE_DIR HF_TOKEN || true

# A small project.
proj=$tmp/invoicer
# shellcheck source=lib/sample-repo.sh
source "$root/scripts/lib/sample-repo.sh"
make_sample_repo "$proj"

# What this machine would download, and where the catalog says it lives.
id=$(cd "$proj" && "$vibrant" model recommend --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["choice"]["id"])')
read -r repo file < <(python3 - "$root/crates/vibrant-models/catalog.toml" "$id" <<'PYEOF'
import sys, tomllib
catalog = tomllib.load(open(sys.argv[1], "rb"))
name, quant = sys.argv[2].split(":")
for m in catalog["model"]:
    if m["name"] == name:
        for q in m["quant"]:
            if q["quant"].lower() == quant.lower():
                print(m["repo"], q["files"][0])
PYEOF
)
echo "walkthrough: this machine would download $id ($repo/$file); the fake Hub serves $(basename "$served") under that name" >&2

"$fake_hub" "$repo" "$file" "$served" > "$tmp/endpoint" 2> "$tmp/hub.log" &
hub_pid=$!
for _ in $(seq 1 100); do [[ -s $tmp/endpoint ]] && break; sleep 0.1; done
endpoint=$(head -n 1 "$tmp/endpoint")
[[ -n $endpoint ]] || { echo "walkthrough: the fake Hub did not start" >&2; cat "$tmp/hub.log" >&2; exit 1; }

cd "$proj"
HF_ENDPOINT=$endpoint "$vibrant" ask -y "what does this project do?" > "$tmp/answer" 2> "$tmp/stderr" || {
  echo "walkthrough: vibrant ask failed" >&2; cat "$tmp/stderr" >&2; exit 1; }
echo "--- answer" >&2; cat "$tmp/answer" >&2
echo "--- stderr (first lines)" >&2; head -n 20 "$tmp/stderr" >&2
# The answer is about this repository (its code is about invoices, nothing else says so but the
# code and the README's one line) …
grep -Eqi 'invoice' "$tmp/answer" || { echo "walkthrough: FAILED: the answer is not about this repository" >&2; exit 1; }
# … and the follow-up a new user asks next names the function (the model is now installed and
# the index built: no download, no question asked).
HF_ENDPOINT=$endpoint "$vibrant" ask "which function computes the total of an invoice?" > "$tmp/answer2" 2> "$tmp/stderr2" || {
  echo "walkthrough: the second vibrant ask failed" >&2; cat "$tmp/stderr2" >&2; exit 1; }
echo "--- second answer" >&2; cat "$tmp/answer2" >&2
if grep -q 'Download' "$tmp/stderr2"; then
  echo "walkthrough: FAILED: the second ask downloaded again" >&2; exit 1
fi
if grep -Eq 'invoice_total' "$tmp/answer2"; then
  echo "walkthrough: passed (the answers are about the repository and name its function)" >&2
else
  echo "walkthrough: FAILED: the answer names no function of the repository" >&2
  exit 1
fi
