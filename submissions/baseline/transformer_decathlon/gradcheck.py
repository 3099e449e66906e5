"""Check every gradient of model.backward against central finite differences.

    python gradcheck.py

Runs in float64 on a tiny model (d=16, 2 layers, window 3 over 7 positions, so
the sliding-window mask is exercised) with random, non-trivial norm gains.
Prints the worst relative error per parameter; expect about 1e-8.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as M  # noqa: E402


def main():
    cfg = dict(d=16, heads=4, layers=2, ffn=24, vocab=11, window=3)
    rng = np.random.default_rng(0)
    p = {
        k: v.astype(np.float64) + rng.standard_normal(v.shape) * 0.3
        for k, v in M.init_params(cfg, 1).items()
    }
    idx = rng.integers(0, 11, (2, 7))
    tgt = rng.integers(0, 11, (2, 7))
    bias = M.attention_bias(4, 7, 3).astype(np.float64)
    _, _, cache = M.forward(p, cfg, idx, tgt, bias)
    g = M.backward(p, cfg, cache)
    worst, h = 0.0, 1e-6
    for k, v in p.items():
        num = np.zeros_like(v)
        flat, nflat = v.reshape(-1), num.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + h
            lp = M.forward(p, cfg, idx, tgt, bias)[1]
            flat[i] = old - h
            lm = M.forward(p, cfg, idx, tgt, bias)[1]
            flat[i] = old
            nflat[i] = (lp - lm) / (2 * h)
        err = np.abs(num - g[k]).max() / (np.abs(num).max() + 1e-12)
        worst = max(worst, err)
        print(f"{k:8s} relative error {err:.2e}")
    print(f"worst relative error {worst:.2e}")
    return 0 if worst < 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main())
