#!/usr/bin/env python3
"""How far llama.cpp is from its own reference outputs (issue 3's greedy bar, applied to llama.cpp).

The greedy reference in tests/data/llama.cpp/generate-*.json was produced by llama.cpp. This script
reruns the same prompts through llama.cpp's own server in several configurations that change only the
float summation order (weight repacking on/off, optionally a second build such as an AVX2-only one)
and scores each run against the reference with the issue's per-step bar: same tokens until the
reference's top-1/top-2 gap is under 0.05, |Δ top-1 log-prob| <= 0.05 at every matched step, top-5
overlap >= 4. It measures the noise floor any independent engine is compared against.

    scripts/parity-llama-self.py [--alt-bin DIR [--alt-name NAME]] [--json OUT]

llama.cpp comes from ../shared/tools/llama-anchor.sh (LLAMA_BIN overrides the folder); without it the
script says so and exits 0. Results: docs/results/engine-parity.md.
"""
import argparse, json, os, subprocess, sys, time, urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REF = ROOT / "tests/data/llama.cpp"
MODELS = ["smollm2-135m-instruct-q4_1", "qwen2.5-coder-0.5b-instruct-awq-mixed",
          "qwen2.5-coder-1.5b-instruct-q4_k_m"]
MODEL_DIR = Path(os.environ.get("VIBRANT_TEST_MODELS", Path.home() / ".cache/vibrant/test-models"))
PORT = 18555


def run_server(bindir, model, extra):
    env = dict(os.environ, LD_LIBRARY_PATH=str(bindir))
    proc = subprocess.Popen([str(Path(bindir) / "llama-server"), "-m", str(MODEL_DIR / f"{model}.gguf"),
                             "-t", "2", "--port", str(PORT), "-c", "1024", "-np", "1", "--no-warmup", *extra],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(600):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/health", timeout=1).read()
            return proc
        except Exception:
            if proc.poll() is not None:
                sys.exit(f"llama-server exited early ({bindir}, {model})")
            time.sleep(0.2)
    proc.kill()
    sys.exit("llama-server did not become healthy in 120 s")


def greedy(bindir, model, extra, cases):
    proc = run_server(bindir, model, extra)
    try:
        out = []
        for case in cases:
            body = {"prompt": case["prompt"], "n_predict": len(case["steps"]), "temperature": 0, "top_k": 1,
                    "n_probs": 5, "cache_prompt": False, "samplers": ["top_k"]}
            req = urllib.request.Request(f"http://127.0.0.1:{PORT}/completion", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
            res = json.loads(urllib.request.urlopen(req).read())
            out.append([(c["id"], c["logprob"], [(t["id"], t["logprob"]) for t in c["top_logprobs"]])
                        for c in res["completion_probabilities"]])
        return out
    finally:
        proc.terminate()
        proc.wait()


def score(ref, got):
    """The issue's bar, step by step; returns a summary dict."""
    errs, violations, matched = [], [], []
    for pi, (r_steps, g_steps) in enumerate(zip(ref, got)):
        m = 0
        for si, (r, g) in enumerate(zip(r_steps, g_steps)):
            gap = r[2][0][1] - r[2][1][1]
            if r[0] != g[0]:
                if gap >= 0.05:
                    violations.append(f"prompt {pi} step {si}: other token (reference gap {gap:.3f})")
                break
            d = abs(r[1] - g[1])
            errs.append(d)
            if d > 0.05:
                violations.append(f"prompt {pi} step {si}: |Δ top-1| {d:.3f}")
            overlap = len({i for i, _ in r[2]} & {i for i, _ in g[2]})
            if overlap < 4:
                violations.append(f"prompt {pi} step {si}: top-5 overlap {overlap}")
            m += 1
            if gap < 0.05:
                break
        matched.append(m)
    n = max(len(errs), 1)
    return {"matched": matched, "mean": sum(errs) / n, "max": max(errs, default=0.0),
            "within": sum(e <= 0.05 for e in errs) / n, "violations": violations}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--alt-bin", help="a second llama.cpp build's bin folder (e.g. an AVX2-only build)")
    ap.add_argument("--alt-name", default="alt build")
    ap.add_argument("--json", help="write every run's steps here")
    args = ap.parse_args()
    bindir = os.environ.get("LLAMA_BIN", str(Path.home() / ".cache/llama-anchor/11434.0.0/build/bin"))
    if not (Path(bindir) / "llama-server").exists():
        print(f"llama-server not found in {bindir}: build it with ../shared/tools/llama-anchor.sh "
              "(or set LLAMA_BIN); skipping.")
        return 0
    variants = [("llama.cpp default (repack)", bindir, []), ("llama.cpp --no-repack", bindir, ["--no-repack"])]
    if args.alt_bin:
        variants.append((args.alt_name, args.alt_bin, []))
    dump = {}
    print("| model | run | matched steps | mean \\|Δ top-1\\| | max | within 0.05 | bar violations |")
    print("|---|---|---|---:|---:|---:|---:|")
    for model in MODELS:
        data = json.loads((REF / f"generate-{model}.json").read_text())
        cases = data["greedy"]
        ref = [[(s["id"], s["logprob"], [(t["id"], t["logprob"]) for t in s["top"]]) for s in c["steps"]]
               for c in cases]
        for name, b, extra in variants:
            got = greedy(b, model, extra, cases)
            dump[f"{model}/{name}"] = got
            s = score(ref, got)
            print(f"| {model} | {name} | {', '.join(map(str, s['matched']))} | {s['mean']:.4f} | {s['max']:.3f} "
                  f"| {100 * s['within']:.0f} % | {len(s['violations'])} |", flush=True)
            for v in s["violations"][:4]:
                print(f"|  |  | {v} |  |  |  |  |")
    if args.json:
        Path(args.json).write_text(json.dumps(dump))
    return 0


if __name__ == "__main__":
    sys.exit(main())
