#!/usr/bin/env bash
# Doc test for the user guide (issue 15): runs every `$ ` line of the ```console blocks in
# docs/guide/*.md, so the guide cannot drift from what `vibrant` does.
#
#   scripts/doc-test.sh     (VIBRANT_BIN=path to use a built binary, VIBRANT_FAKE_HUB=path to a
#                            built fake_hub example; VIBRANT_TEST_MODELS=dir of the test models)
#
# Each command runs with `bash -c` in a scratch environment: a fresh HOME, a small git repository
# (an invoicing project, the one the guide's examples ask about) as the working directory, stdin
# /dev/null, and `vibrant` on PATH meaning $VIBRANT_BIN. The pages run in the guide's order and share
# that environment (a model downloaded in "getting started" is there in "the agent"), except the
# pages in FRESH_PAGES, which get a new HOME and repository (troubleshooting shows what happens on
# a machine with no model yet).
#
# Downloads go to the loopback imitation of the Hugging Face Hub that scripts/walkthrough.sh uses
# (crates/vibrant-models/examples/fake_hub.rs): it serves the small SmolLM2-135M test model under
# the file names the guide's commands ask for (this machine's recommendation and
# qwen2.5-coder:0.5b), so the run is fast. Remote-server examples talk to a local stand-in for an
# OpenAI-compatible server and Ollama (a few lines of Python below): their URLs
# http://localhost:8080 and http://localhost:11434 are replaced by the stand-in's.
#
# A command passes when it exits 0, or with the status its line announces in a trailing comment:
# `# exits 1`, `# exits 0 or 3`. Commands that cannot run here are in STANDIN (another command is
# run in their place and checked) or NOT_RUN (printed, with the reason); both lists must match
# lines of the guide. Every command is printed with PASS/FAIL; the script exits 1 if any failed.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
guide=$root/docs/guide
models=${VIBRANT_TEST_MODELS:-$HOME/.cache/vibrant/test-models}
served="$models/smollm2-135m-instruct-q4_1.gguf"
[[ -f $served ]] || { echo "doc-test: $served is missing (run scripts/fetch-test-models.sh)" >&2; exit 1; }

# The guide's pages, in reading order; pages not listed here run after them.
PAGES=(README.md getting-started.md choosing-a-model.md configuration.md remote-servers.md
  agent-and-safety.md troubleshooting.md)
FRESH_PAGES=(troubleshooting.md)
# Commands that cannot run here: the command run in their place, and why.
declare -A STANDIN=(
  ["vibrant chat"]="vibrant chat --help|the full-screen chat needs a terminal (its options are checked instead)"
)
declare -A NOT_RUN=(
  ["cargo install --path crates/vibrant-cli --locked"]="builds and installs a release binary (minutes); the doc test runs \$VIBRANT_BIN, built from the same tree"
)
# Limits that keep the run short, set in the scratch environment (the guide's commands are
# unchanged; a flag on a command line still wins over them).
LIMITS=(VIBRANT_GENERATION_MAX_TOKENS=48 VIBRANT_AGENT_MAX_STEPS=3)
CMD_TIMEOUT=${DOC_TEST_TIMEOUT:-300}

# Both given (VIBRANT_BIN and VIBRANT_FAKE_HUB, e.g. binaries built elsewhere): nothing is built.
if [[ -z ${VIBRANT_BIN:-} || -z ${VIBRANT_FAKE_HUB:-} ]]; then
  cargo build -q --locked -p vibrant-cli -p vibrant-models --example fake_hub --manifest-path "$root/Cargo.toml"
fi
target=${CARGO_TARGET_DIR:-$root/target}
vibrant=$(realpath "${VIBRANT_BIN:-$target/debug/vibrant}")
fake_hub=${VIBRANT_FAKE_HUB:-$target/debug/examples/fake_hub}

started=$(date +%s)
tmp=$(mktemp -d)
hub_pid=
standin_pid=
cleanup() {
  [[ -n $hub_pid ]] && kill "$hub_pid" 2>/dev/null
  [[ -n $standin_pid ]] && kill "$standin_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

# --- the commands of the guide -----------------------------------------------------------------
for f in "$guide"/*.md; do
  b=$(basename "$f")
  [[ " ${PAGES[*]} " == *" $b "* ]] || PAGES+=("$b")
done
python3 - "$guide" "${PAGES[@]}" > "$tmp/commands.tsv" <<'PYEOF'
import os, re, sys
guide = sys.argv[1]
for page in sys.argv[2:]:
    path = os.path.join(guide, page)
    if not os.path.exists(path):
        sys.exit(f"doc-test: {path} is listed in PAGES but does not exist")
    fence = None
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.rstrip("\n")
        m = re.match(r"^\s*(```+|~~~+)\s*([\w-]*)", line)
        if m:
            fence = m.group(2) if fence is None else None
            continue
        if fence == "console" and line.startswith("$ "):
            cmd = line[2:].rstrip()
            if cmd.endswith("\\") or "\t" in cmd:
                sys.exit(f"doc-test: {page}:{n}: write the command on one line, without tabs")
            print(f"{page}\t{n}\t{cmd}")
PYEOF
total=$(wc -l < "$tmp/commands.tsv")
for key in "${!STANDIN[@]}" "${!NOT_RUN[@]}"; do
  cut -f3 "$tmp/commands.tsv" > "$tmp/lines"
  grep -qxF -- "$key" "$tmp/lines" || {
    echo "doc-test: \`$key\` is in STANDIN/NOT_RUN but no longer in the guide; update the script" >&2; exit 1; }
done

# --- the scratch environment -------------------------------------------------------------------
mkdir -p "$tmp/bin"
ln -s "$vibrant" "$tmp/bin/vibrant"
export PATH="$tmp/bin:$PATH"
for v in $(compgen -e); do
  case $v in VIBRANT_*|XDG_*|HF_*|HUGGING_FACE_*|OLLAMA_*|OPENAI_*|MY_SERVER_KEY) unset "$v" ;; esac
done
export "${LIMITS[@]}"
export NO_COLOR=1

# shellcheck source=lib/sample-repo.sh
source "$root/scripts/lib/sample-repo.sh"

# A new user and a new project: HOME and the working directory of the commands that follow.
speed_cache=
new_env() {
  export HOME=$tmp/$1/home
  mkdir -p "$HOME/Downloads"
  # choosing-a-model.md imports "a GGUF file you already have".
  ln -s "$served" "$HOME/Downloads/model.gguf"
  # The bandwidth figure the first environment measured, so that every environment recommends
  # the model the fake Hub serves (a cache Vibrant keeps for 30 days anyway).
  if [[ -n $speed_cache ]]; then
    mkdir -p "$HOME/.local/state/vibrant" && cp "$speed_cache" "$HOME/.local/state/vibrant/"
  fi
  repo=$tmp/$1/invoicer
  make_sample_repo "$repo"
}
new_env main

# What this machine would download on a first run, and the catalog files the fake Hub serves.
rec=$(cd "$repo" && vibrant model recommend --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["choice"]["id"])')
speed_cache=$HOME/.local/state/vibrant/machine-speed.json
[[ -f $speed_cache ]] || speed_cache=
hub_args=()
while read -r repo_id file; do
  hub_args+=("$repo_id" "$file" "$served")
done < <(python3 - "$root/crates/vibrant-models/catalog.toml" "$rec" "qwen2.5-coder:0.5b" <<'PYEOF'
import sys, tomllib
catalog = tomllib.load(open(sys.argv[1], "rb"))
seen = set()
for ref in sys.argv[2:]:
    # An alias (`qwen2.5-coder:0.5b`: the default quantization) or an id (`NAME:quant`).
    for m in catalog["model"]:
        if ref in m.get("aliases", []):
            quant = "q4_k_m"
            break
        name, _, quant = ref.partition(":")
        if name == m["name"]:
            break
    else:
        sys.exit(f"doc-test: {ref} is not in the catalog")
    q = next(q for q in m["quant"] if q["quant"].lower() == quant.lower())
    if (m["repo"], q["files"][0]) not in seen:
        seen.add((m["repo"], q["files"][0]))
        print(m["repo"], q["files"][0])
PYEOF
)
"$fake_hub" "${hub_args[@]}" > "$tmp/endpoint" 2> "$tmp/hub.log" &
hub_pid=$!

# A stand-in for an OpenAI-compatible server (GET /v1/models, POST /v1/chat/completions as
# server-sent events) and for Ollama (POST /api/chat as JSON lines), answering with a fixed text.
cat > "$tmp/standin.py" <<'PYEOF'
import json
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ANSWER = "This is a stand-in answer from the doc test's local server."


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def send_json(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.rstrip("/") == "/v1/models":
            self.send_json(200, {"object": "list", "data": [{"id": "stand-in-model", "object": "model"}]})
        else:
            self.send_json(404, {"error": {"message": f"no endpoint {self.path}"}})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        request = json.loads(self.rfile.read(length) or b"{}")
        model = request.get("model")
        words = [w + " " for w in ANSWER.split(" ")]
        if self.path == "/v1/chat/completions":
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            def event(obj):
                self.wfile.write(b"data: " + json.dumps(obj).encode() + b"\n\n")
            for w in words:
                event({"object": "chat.completion.chunk", "model": model,
                       "choices": [{"index": 0, "delta": {"content": w}, "finish_reason": None}]})
            event({"object": "chat.completion.chunk", "model": model,
                   "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
            event({"object": "chat.completion.chunk", "model": model, "choices": [],
                   "usage": {"prompt_tokens": 100, "completion_tokens": len(words)}})
            self.wfile.write(b"data: [DONE]\n\n")
        elif self.path == "/api/chat":
            self.send_response(200)
            self.send_header("Content-Type", "application/x-ndjson")
            self.end_headers()
            for w in words:
                self.wfile.write(json.dumps({"model": model, "message": {"role": "assistant", "content": w},
                                             "done": False}).encode() + b"\n")
            self.wfile.write(json.dumps({"model": model, "message": {"role": "assistant", "content": ""},
                                         "done": True, "done_reason": "stop", "prompt_eval_count": 100,
                                         "eval_count": len(words)}).encode() + b"\n")
        else:
            self.send_json(404, {"error": {"message": f"no endpoint {self.path}"}})


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
PYEOF
python3 "$tmp/standin.py" > "$tmp/standin.url" 2> "$tmp/standin.log" &
standin_pid=$!
for _ in $(seq 1 600); do [[ -s $tmp/endpoint && -s $tmp/standin.url ]] && break; sleep 0.1; done
endpoint=$(head -n 1 "$tmp/endpoint")
standin=$(head -n 1 "$tmp/standin.url")
[[ -n $endpoint ]] || { echo "doc-test: the fake Hub did not start" >&2; cat "$tmp/hub.log" >&2; exit 1; }
[[ -n $standin ]] || { echo "doc-test: the stand-in server did not start" >&2; cat "$tmp/standin.log" >&2; exit 1; }
export HF_ENDPOINT=$endpoint

echo "doc-test: $total commands from docs/guide; vibrant = $vibrant" >&2
echo "doc-test: scratch HOME and a small git repository; limits: ${LIMITS[*]}" >&2
echo "doc-test: models from a fake Hub at $endpoint, serving $(basename "$served") as: $rec, qwen2.5-coder:0.5b" >&2
echo "doc-test: http://localhost:8080 and http://localhost:11434 stand for the local stand-in server $standin" >&2
for key in "${!STANDIN[@]}"; do
  echo "doc-test: stand-in: \`$key\` is checked as \`${STANDIN[$key]%%|*}\`: ${STANDIN[$key]#*|}" >&2
done
for key in "${!NOT_RUN[@]}"; do
  echo "doc-test: not run: \`$key\`: ${NOT_RUN[$key]}" >&2
done

# --- run them ----------------------------------------------------------------------------------
passed=0 failed=0 standins=0 skipped=0
failures=()
current_page=
while IFS=$'\t' read -r page line cmd <&3; do
  if [[ $page != "$current_page" ]]; then
    current_page=$page
    printf '\n== %s\n' "$page"
    if [[ " ${FRESH_PAGES[*]} " == *" $page "* ]]; then
      new_env "${page%.md}"
      echo "   (a fresh HOME and repository: a machine with no model yet)"
    fi
  fi
  where="$page:$line"
  if [[ -n ${NOT_RUN[$cmd]+x} ]]; then
    printf 'NOT RUN  %-30s $ %s\n         reason: %s\n' "$where" "$cmd" "${NOT_RUN[$cmd]}"
    skipped=$((skipped + 1))
    continue
  fi
  run=$cmd
  note=
  if [[ -n ${STANDIN[$cmd]+x} ]]; then
    run=${STANDIN[$cmd]%%|*}
    note="  [stand-in: \`$run\`: ${STANDIN[$cmd]#*|}]"
    standins=$((standins + 1))
  fi
  run=${run//http:\/\/localhost:8080/$standin}
  run=${run//http:\/\/localhost:11434/$standin}
  expect=(0)
  if [[ $cmd =~ \#[[:space:]]*exits[[:space:]]+([0-9]+([[:space:]]+or[[:space:]]+[0-9]+)*)[[:space:]]*$ ]]; then
    read -r -a expect <<< "${BASH_REMATCH[1]// or / }"
  fi
  t0=$(date +%s.%N)
  set +e
  (cd "$repo" && timeout "$CMD_TIMEOUT" bash -c "$run" < /dev/null > "$tmp/out" 2>&1)
  status=$?
  set -e
  secs=$(python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$t0" "$(date +%s.%N)")
  ok=
  for e in "${expect[@]}"; do [[ $status == "$e" ]] && ok=1; done
  if [[ -n $ok ]]; then
    printf 'PASS     %-30s $ %s  (exit %s, %ss)%s\n' "$where" "$cmd" "$status" "$secs" "$note"
    passed=$((passed + 1))
  else
    printf 'FAIL     %-30s $ %s  (exit %s, expected %s, %ss)%s\n' "$where" "$cmd" "$status" "${expect[*]}" "$secs" "$note"
    tail -n 25 "$tmp/out" | sed 's/^/         | /'
    failed=$((failed + 1))
    failures+=("$where")
  fi
done 3< "$tmp/commands.tsv"

printf '\ndoc-test: %s commands: %s passed (%s of them through a stand-in), %s failed, %s not run; %ss\n' \
  "$total" "$passed" "$standins" "$failed" "$skipped" "$(( $(date +%s) - started ))"
if (( failed > 0 )); then
  echo "doc-test: FAILED: ${failures[*]}"
  exit 1
fi
