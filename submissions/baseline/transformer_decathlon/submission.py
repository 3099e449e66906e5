"""TinyMLPerf baseline for the Transformer Decathlon: a 4-layer character GPT
(d=128, 4 heads, ALiBi, sliding-window attention W=128) in pure NumPy.

The scorer calls three functions:
    load(directory)          -> model
    logits(model, tokens)    -> (B, T, 65) next-token logits, causal
    generate(model, prompt, n) -> (n,) greedy continuation, with a KV cache

Everything here is NumPy + the standard library.  The training code lives in
model.py / train.py; this file is self-contained on purpose so that the
inference path is easy to read and to optimise on its own.
"""

import math
import os.path as osp  # the sandbox allows os.path, not all of os

import numpy as np

EPS = 1e-5  # must match model.py (RMSNorm epsilon used in training)


class GPT:
    """Inference-ready weights.  load() *folds* cheap per-channel operations
    into the matrices once, so they cost nothing per token:
      * RMSNorm gain g:  (x_hat * g) @ W  ==  x_hat @ (g[:, None] * W)
      * attention scale 1/sqrt(head_dim): folded into the query columns.
    """

    def __init__(self, z):
        d, H, L, F, V, W = (int(c) for c in z["config"])
        self.d, self.H, self.L, self.F, self.V, self.W = d, H, L, F, V, W
        self.hd = hd = d // H
        f32 = np.float32
        self.wte = np.ascontiguousarray(z["wte"], dtype=f32)
        self.layers = []
        for layer in range(L):
            wqkv = z[f"g1_{layer}"][:, None] * z[f"wqkv_{layer}"]
            wqkv[:, :d] *= 1.0 / math.sqrt(hd)
            w1 = z[f"g2_{layer}"][:, None] * z[f"w1_{layer}"]
            self.layers.append(
                tuple(
                    np.ascontiguousarray(a, dtype=f32)
                    for a in (wqkv, z[f"wo_{layer}"], w1, z[f"w2_{layer}"])
                )
            )
        self.wout = np.ascontiguousarray(z["gf"][:, None] * z["wout"], dtype=f32)
        # ALiBi: head h adds -slope_h * distance to every attention score.
        self.slopes = np.array([2.0 ** (-8.0 * (i + 1) / H) for i in range(H)], dtype=f32)
        # For generation: bias over the last W keys, oldest first, shape (H, 1, W).
        dist = np.arange(W - 1, -1, -1, dtype=f32)
        self.alibi_row = np.ascontiguousarray((-self.slopes[:, None] * dist)[:, None, :])
        self._bias_cache = {}

    def bias(self, T):
        """(H, T, T) additive attention bias: ALiBi inside the causal sliding
        window, -inf outside it (so exp() gives exactly 0 there)."""
        b = self._bias_cache.get(T)
        if b is None:
            i = np.arange(T)[:, None]
            j = np.arange(T)[None, :]
            dist = (i - j).astype(np.float32)
            ok = (dist >= 0) & (dist < self.W)
            b = np.where(ok[None], -self.slopes[:, None, None] * dist[None], -np.inf)
            b = b.astype(np.float32)
            self._bias_cache[T] = b
        return b


def load(directory):
    with np.load(osp.join(directory, "weights.npz"), allow_pickle=False) as z:
        return GPT({k: z[k] for k in z.files})


def _forward(m, tokens):
    """Full (parallel) forward pass over (B, T) tokens -> final hidden states
    (B, T, d) *before* the last RMSNorm."""
    B, T = tokens.shape
    d, H, hd = m.d, m.H, m.hd
    bias = m.bias(T)
    x = m.wte[tokens]
    for wqkv, wo, w1, w2 in m.layers:
        h = x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + EPS)
        qkv = (h @ wqkv).reshape(B, T, 3, H, hd).transpose(2, 0, 3, 1, 4)  # (3,B,H,T,hd)
        q, k, v = qkv[0], qkv[1], qkv[2]
        s = q @ k.transpose(0, 1, 3, 2)  # (B,H,T,T)
        s += bias  # in place: no second (B,H,T,T) array
        s -= s.max(axis=-1, keepdims=True)
        np.exp(s, out=s)
        s /= s.sum(axis=-1, keepdims=True)
        o = (s @ v).transpose(0, 2, 1, 3).reshape(B, T, d)
        x = x + o @ wo
        h = x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + EPS)
        a = h @ w1
        np.maximum(a, 0, out=a)
        x = x + a @ w2
    return x


def logits(model, tokens):
    """(B, T) int tokens -> (B, T, 65) float32 logits.  Sequences are processed
    one at a time so the (H, T, T) attention matrix stays small (peak memory);
    one 512-token sequence is already a big enough matmul for BLAS."""
    tokens = np.asarray(tokens)
    if tokens.ndim == 1:
        tokens = tokens[None]
    B, T = tokens.shape
    out = np.empty((B, T, model.V), dtype=np.float32)
    step = 1  # one sequence at a time: 4 heads x 512 x 512 float32 = 4 MiB of scores (peak memory)
    for s in range(0, B, step):
        x = _forward(model, tokens[s : s + step])
        x = x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + EPS)
        out[s : s + step] = x @ model.wout
    return out


def generate(model, prompt, n):
    """Greedy continuation of a 1-D prompt, n new tokens.

    Speed matters here, and for a model this small the time per token is not
    the arithmetic (about 1.8 MFLOP) but the *number of NumPy calls* (each costs
    ~1 microsecond of Python/NumPy overhead).  So:
      * a KV cache (preallocated for prompt+n positions) means each new token
        only computes its own query/key/value, never recomputes the past;
      * all heads are handled by one batched matmul, no per-head loop;
      * Q, K and V come from one fused matmul;
      * RMSNorm gains and the 1/sqrt(hd) scale were folded into the weights;
      * the final RMSNorm is skipped: it multiplies the logits by a positive
        number, which cannot change the argmax.
    """
    m = model
    prompt = np.asarray(prompt, dtype=np.int64).reshape(-1)
    P = prompt.shape[0]
    out = np.empty(n, dtype=np.int64)
    if n <= 0:
        return out
    if P == 0:
        raise ValueError("generate() needs a prompt of at least one token")
    d, H, hd, W = m.d, m.H, m.hd, m.W
    total = P + n
    # Keys stored transposed (H, hd, pos) so q @ K is a plain matmul;
    # values stored (H, pos, hd) so weights @ V is too.  Preallocated once.
    kc = [np.empty((H, hd, total), np.float32) for _ in range(m.L)]
    vc = [np.empty((H, total, hd), np.float32) for _ in range(m.L)]
    wte, alibi, wout = m.wte, m.alibi_row, m.wout
    inv_d = 1.0 / d
    sqrt = math.sqrt
    layers = [
        (wqkv, wo, w1, w2, kc[layer], vc[layer])
        for layer, (wqkv, wo, w1, w2) in enumerate(m.layers)
    ]
    # The prompt goes through the same one-token step as the generated tokens
    # (it only fills the cache).  A batched prefill would be one big matrix
    # product per layer, and OpenBLAS runs those on both threads: on a machine
    # whose other core is busy, waiting for the second thread stalled a whole
    # generate() call by hundreds of milliseconds in our tests.  The one-token
    # matrix-vector products stay on one thread; 64 extra small steps cost ~10 ms.
    tok = int(prompt[0])
    for t in range(total - 1):  # t = position of the token we feed in
        lo = t - W + 1 if t >= W else 0  # sliding window: keys lo .. t
        hi = t + 1
        ab = alibi[:, :, W - (hi - lo) :]  # (H, 1, n_keys) ALiBi bias
        x = wte[tok]
        for wqkv, wo, w1, w2, kl, vl in layers:
            qkv = ((x * (1.0 / sqrt(float(x.dot(x)) * inv_d + EPS))) @ wqkv).reshape(3, H, hd)
            kl[:, :, t] = qkv[1]
            vl[:, t, :] = qkv[2]
            s = np.matmul(qkv[0][:, None, :], kl[:, :, lo:hi])  # (H, 1, n_keys)
            s += ab
            s -= s.max(axis=2, keepdims=True)  # for exp() safety; cancels in the softmax
            np.exp(s, out=s)
            o = np.matmul(s, vl[:, lo:hi, :])  # (H, 1, hd)
            o /= s.sum(
                axis=2, keepdims=True
            )  # softmax normaliser, applied to 32 numbers not n_keys
            x = x + o.reshape(d) @ wo
            a = (x * (1.0 / sqrt(float(x.dot(x)) * inv_d + EPS))) @ w1
            np.maximum(a, 0, out=a)
            x = x + a @ w2
        if t + 1 < P:
            tok = int(prompt[t + 1])  # still reading the prompt
        else:
            tok = int(np.argmax(x @ wout))
            out[t + 1 - P] = tok
    return out
