"""NumPy baseline vs. PyTorch (CPU) on the Transformer Decathlon generation task.

The SAME trained weights (submissions/baseline/transformer_decathlon/weights.npz,
folded exactly as the baseline's load() folds them) go into an equivalent
PyTorch model with the same one-token-at-a-time KV-cache greedy loop.  Both
generate 448 tokens after a 64-token validation prompt, interleaved
(numpy, torch, numpy, torch, ...) so that machine noise hits both alike.

    from benchmarks.torch_gpt import compare
    rows = compare("/path/to/datasets")

torch is only needed here, never by the submission.

At this model size both libraries are bound by per-call overhead, not
arithmetic.  torch's 2 intra-op threads are fragile on a shared machine: when
the other core is busy, its thread synchronisation can make generation many
times slower than with torch.set_num_threads(1); read the ratio with that in
mind (the baseline README gives both).
"""

from __future__ import annotations

import os

import numpy as np
from matmul_peak import PeakSampler
from pairs import interleaved, load_baseline, yardstick

from scorer.scoring import datasets

PROMPT_LEN = 64
N_NEW = 448


def _validation_ids(data_dir: str) -> np.ndarray:
    text = datasets.load_tinyshakespeare(data_dir)
    return datasets.encode(text["val"], text["vocab"])


class TorchGPT:
    """The baseline's folded weights as torch tensors (float32, CPU)."""

    def __init__(self, m, torch):
        t = torch.from_numpy
        self.m = m
        self.wte = t(m.wte)
        self.layers = [tuple(t(w) for w in lw) for lw in m.layers]  # wqkv, wo, w1, w2
        self.wout = t(m.wout)
        self.alibi = t(m.alibi_row)


def torch_generate(tm: TorchGPT, prompt: np.ndarray, n: int, torch) -> np.ndarray:
    """Line-for-line the same algorithm as the baseline's generate()."""
    m = tm.m
    d, H, hd, W, EPS = m.d, m.H, m.hd, m.W, 1e-5
    P = len(prompt)
    total = P + n
    out = np.empty(n, dtype=np.int64)
    kc = [torch.empty((H, hd, total)) for _ in range(m.L)]
    vc = [torch.empty((H, total, hd)) for _ in range(m.L)]
    layers = [(a, b, c, e, kc[i], vc[i]) for i, (a, b, c, e) in enumerate(tm.layers)]
    wte, alibi, wout = tm.wte, tm.alibi, tm.wout
    tok = int(prompt[0])
    with torch.inference_mode():
        for t in range(total - 1):
            lo = t - W + 1 if t >= W else 0
            hi = t + 1
            ab = alibi[:, :, W - (hi - lo) :]
            x = wte[tok]
            for wqkv, wo, w1, w2, kl, vl in layers:
                qkv = ((x * torch.rsqrt(x.dot(x) / d + EPS)) @ wqkv).view(3, H, hd)
                kl[:, :, t] = qkv[1]
                vl[:, t, :] = qkv[2]
                s = torch.matmul(qkv[0].unsqueeze(1), kl[:, :, lo:hi])
                s += ab
                s -= s.amax(dim=2, keepdim=True)
                s.exp_()
                o = torch.matmul(s, vl[:, lo:hi, :])
                o /= s.sum(dim=2, keepdim=True)
                x = x + o.reshape(d) @ wo
                a = (x * torch.rsqrt(x.dot(x) / d + EPS)) @ w1
                a.relu_()
                x = x + a @ w2
            if t + 1 < P:
                tok = int(prompt[t + 1])
            else:
                tok = int(torch.argmax(x @ wout))
                out[t + 1 - P] = tok
    return out


def generation_flops(m, P: int, n: int) -> float:
    """Useful floating-point operations of one generate(prompt of P, n) call:
    2 per multiply-add of every matmul, for every position fed through the
    model (P + n - 1 of them), plus the output layer for the n predictions."""
    per_tok = 2 * m.L * (3 * m.d * m.d + m.d * m.d + 2 * m.d * m.F)
    flops = 0.0
    for t in range(P + n - 1):
        keys = min(t + 1, m.W)
        flops += per_tok + m.L * 2 * 2 * m.d * keys  # q.K and p.V over all heads
    return flops + n * 2 * m.d * m.V


def _greedy_ok(sub, model, prompt, gen, tol=1e-3) -> bool:
    """Same acceptance rule as the scorer: each token's logit within tol of the max."""
    full = np.concatenate([prompt, gen])
    lg = sub.logits(model, full[None, :-1])[0][len(prompt) - 1 :]
    return bool(np.all(lg.max(-1) - lg[np.arange(len(gen)), gen] <= tol))


def compare(data_dir: str, repeats: int = 3) -> list[dict]:
    import torch

    torch.set_num_threads(2)
    sub, folder = load_baseline("transformer_decathlon")
    model = sub.load(str(folder))
    tm = TorchGPT(model, torch)
    prompt = _validation_ids(data_dir)[:PROMPT_LEN]

    # warm-up both (first calls allocate, fill caches, load kernels)
    ref = sub.generate(model, prompt, N_NEW)
    tgen = torch_generate(tm, prompt, N_NEW, torch)
    if not np.array_equal(ref, tgen):
        # float32 summation order differs between OpenBLAS and torch; a flip is
        # only acceptable on a near-tie, which the scorer's own rule decides.
        if not (_greedy_ok(sub, model, prompt, ref) and _greedy_ok(sub, model, prompt, tgen)):
            raise AssertionError("NumPy and PyTorch greedy tokens disagree beyond float32 noise")

    def numpy_run():
        assert np.array_equal(sub.generate(model, prompt, N_NEW), ref), (
            "NumPy generation is not deterministic"
        )

    def torch_run():
        assert np.array_equal(torch_generate(tm, prompt, N_NEW, torch), tgen), (
            "PyTorch generation is not deterministic"
        )

    timings = interleaved(numpy_run, torch_run, repeats, scored_as=folder, peak=PeakSampler())

    numpy_s, torch_s = timings.numpy_median, timings.torch_median
    flops = generation_flops(model, PROMPT_LEN, N_NEW)
    return [
        {
            "event": "transformer_decathlon",
            "what": "generate 448 tokens (KV cache)",
            "numpy_s": numpy_s,
            "torch_s": torch_s,
            "ratio": numpy_s / torch_s,
            "numpy_gflops": flops / numpy_s / 1e9,
            **yardstick(flops, timings),
        }
    ]


if __name__ == "__main__":
    import json
    import sys

    data = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("TINYMLPERF_DATA", "")
    for row in compare(data):
        print(json.dumps(row))
    print("tokens/s numpy %.0f" % (N_NEW / row["numpy_s"]), file=sys.stderr)
