#!/usr/bin/env python3
"""Generate dequantization fixtures for crates/vibrant-kernels from an independent reference.

Requirements (pinned): pip install gguf==0.19.0 numpy==2.4.6

For every quantized weight format (and F16/BF16) this writes, under
crates/vibrant-kernels/tests/fixtures/:
  <NAME>.q    random but valid blocks (seeded, so reruns are byte-identical)
  <NAME>.f32  their dequantization by `gguf.quants` (ggml's Python port), little-endian f32
and, for the activation quantizer ggml and gguf share (Q8_0):
  Q8_0.quant.in.f32  random f32 input
  Q8_0.quant.q       gguf.quants.quantize(input, Q8_0)

Run from the repository root: python3 scripts/gen-quant-fixtures.py
"""

from pathlib import Path

import numpy as np
from gguf import GGMLQuantizationType as T
from gguf import quants

OUT = Path(__file__).resolve().parent.parent / "crates" / "vibrant-kernels" / "tests" / "fixtures"
SEED = 20261126

# name -> (type, bytes per block, elements per block, blocks to generate, offsets of f16 scale fields)
FORMATS = {
    "Q4_0": (T.Q4_0, 18, 32, 48, [0]),
    "Q4_1": (T.Q4_1, 20, 32, 48, [0, 2]),
    "Q5_0": (T.Q5_0, 22, 32, 48, [0]),
    "Q5_1": (T.Q5_1, 24, 32, 48, [0, 2]),
    "Q8_0": (T.Q8_0, 34, 32, 48, [0]),
    "Q2_K": (T.Q2_K, 84, 256, 6, [80, 82]),
    "Q3_K": (T.Q3_K, 110, 256, 6, [108]),
    "Q4_K": (T.Q4_K, 144, 256, 6, [0, 2]),
    "Q5_K": (T.Q5_K, 176, 256, 6, [0, 2]),
    "Q6_K": (T.Q6_K, 210, 256, 6, [208]),
}


def random_f16(rng: np.random.Generator, n: int, scale: float) -> np.ndarray:
    return (rng.standard_normal(n) * scale).astype(np.float16)


def main() -> None:
    rng = np.random.default_rng(SEED)
    OUT.mkdir(parents=True, exist_ok=True)
    total = 0
    for name, (qtype, nbytes, nelem, nblocks, f16_fields) in FORMATS.items():
        blocks = rng.integers(0, 256, size=(nblocks, nbytes), dtype=np.uint8)
        for off in f16_fields:
            vals = random_f16(rng, nblocks, 0.02)
            vals[0] = 0.0  # a zero scale / min
            vals[1] = -vals[1]  # keep at least one negative one
            blocks[:, off : off + 2] = vals.view(np.uint8).reshape(nblocks, 2)
        raw = blocks.tobytes()
        deq = quants.dequantize(np.frombuffer(raw, dtype=np.uint8), qtype).astype("<f4")
        assert deq.size == nblocks * nelem, (name, deq.size)
        (OUT / f"{name}.q").write_bytes(raw)
        (OUT / f"{name}.f32").write_bytes(deq.tobytes())
        total += len(raw) + deq.nbytes

    # Plain 16-bit floats: all finite bit patterns are fair game; skip inf/nan.
    n = 1024
    f16 = random_f16(rng, n, 3.0)
    f16[:4] = np.array([0.0, -0.0, 65504.0, 6e-8], dtype=np.float16)
    (OUT / "F16.q").write_bytes(f16.tobytes())
    (OUT / "F16.f32").write_bytes(quants.dequantize(f16.view(np.uint8), T.F16).astype("<f4").tobytes())
    bf16 = rng.integers(0, 1 << 16, size=n, dtype=np.uint16)
    exp = (bf16 >> 7) & 0xFF
    bf16[exp == 0xFF] &= 0xBFFF  # no inf/nan
    (OUT / "BF16.q").write_bytes(bf16.astype("<u2").tobytes())
    bf16_deq = quants.dequantize(bf16.astype("<u2").view(np.uint8), T.BF16).astype("<f4")
    (OUT / "BF16.f32").write_bytes(bf16_deq.tobytes())
    total += 4 * n + 8 * n

    # Q8_0 quantization of random activations (gguf rounds half away from zero, as ggml's roundf).
    x = (rng.standard_normal(32 * 32) * np.repeat(rng.uniform(0.01, 10.0, 32), 32)).astype("<f4")
    x[:32] = 0.0  # an all-zero block
    q = quants.quantize(x, T.Q8_0)
    (OUT / "Q8_0.quant.in.f32").write_bytes(x.tobytes())
    (OUT / "Q8_0.quant.q").write_bytes(q.tobytes())
    total += x.nbytes + q.nbytes
    print(f"wrote fixtures to {OUT} ({total} bytes)")


if __name__ == "__main__":
    main()
