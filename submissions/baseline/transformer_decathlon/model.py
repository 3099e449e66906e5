"""A tiny character-level GPT in pure NumPy: parameters, forward pass and a
hand-written backward pass used by train.py.

Architecture (why each choice, in short):
  * token embedding only, no position embedding: positions enter through
    ALiBi (a fixed per-head linear penalty on the query-key distance), which is
    *relative*, so the same weights work at any position up to the scorer's
    512-token context although we train on 256-token blocks;
  * sliding-window causal attention: query t sees only keys t-W+1 .. t.  We
    train with block 256 and window W=128, so half of the training queries
    already see a "cut" window exactly like positions 128..511 at test time.
    The model never meets a situation at inference that it did not train on;
  * pre-norm residual blocks with RMSNorm (cheaper than LayerNorm: no mean, no
    bias; its gain can be folded into the next matrix at load time);
  * bias-free linear layers and ReLU: fewer NumPy calls per generated token;
  * one fused (d, 3d) QKV matrix: one matmul instead of three.
"""

import numpy as np

EPS = 1e-5


def alibi_slopes(n_head):
    # geometric slopes 2^(-8/H), 2^(-16/H), ...: head 0 looks very locally,
    # the last head almost uniformly over the window.
    return np.array([2.0 ** (-8.0 * (i + 1) / n_head) for i in range(n_head)], dtype=np.float32)


def attention_bias(n_head, T, window):
    """(H, T, T) additive bias: -slope*(i-j) inside the causal window, -inf elsewhere."""
    i = np.arange(T)[:, None]
    j = np.arange(T)[None, :]
    dist = (i - j).astype(np.float32)
    allowed = (dist >= 0) & (dist < window)
    bias = -alibi_slopes(n_head)[:, None, None] * dist[None]
    bias = np.where(allowed[None], bias, -np.inf).astype(np.float32)
    return bias


def init_params(cfg, seed=0):
    rng = np.random.default_rng(seed)
    d, V, L, F = cfg["d"], cfg["vocab"], cfg["layers"], cfg["ffn"]
    std = 0.02
    proj_std = 0.02 / np.sqrt(2 * L)  # GPT-2 style: residual projections scaled down
    p = {"wte": (rng.standard_normal((V, d)) * std).astype(np.float32)}
    for layer in range(L):
        p[f"g1_{layer}"] = np.ones(d, np.float32)
        p[f"wqkv_{layer}"] = (rng.standard_normal((d, 3 * d)) * std).astype(np.float32)
        p[f"wo_{layer}"] = (rng.standard_normal((d, d)) * proj_std).astype(np.float32)
        p[f"g2_{layer}"] = np.ones(d, np.float32)
        p[f"w1_{layer}"] = (rng.standard_normal((d, F)) * std).astype(np.float32)
        p[f"w2_{layer}"] = (rng.standard_normal((F, d)) * proj_std).astype(np.float32)
    p["gf"] = np.ones(d, np.float32)
    p["wout"] = (rng.standard_normal((d, V)) * std).astype(np.float32)
    return p


def _rms_fwd(x, g):
    r = 1.0 / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + EPS)
    xh = x * r
    return xh * g, (xh, r)


def _rms_bwd(dy, g, cache):
    xh, r = cache
    dg = np.sum(dy * xh, axis=tuple(range(dy.ndim - 1)))
    dxh = dy * g
    dx = r * (dxh - xh * np.mean(dxh * xh, axis=-1, keepdims=True))
    return dx, dg


def forward(p, cfg, idx, targets=None, bias=None):
    """idx (B, T) int.  Returns logits (and loss, caches if targets given)."""
    B, T = idx.shape
    d, H, L = cfg["d"], cfg["heads"], cfg["layers"]
    hd = d // H
    scale = np.float32(1.0 / np.sqrt(hd))
    if bias is None:
        bias = attention_bias(H, T, cfg["window"])
    x = p["wte"][idx]
    caches = []
    for layer in range(L):
        h, c1 = _rms_fwd(x, p[f"g1_{layer}"])
        qkv = h @ p[f"wqkv_{layer}"]  # (B,T,3d)
        qkv5 = qkv.reshape(B, T, 3, H, hd).transpose(2, 0, 3, 1, 4)  # (3,B,H,T,hd)
        q, k, v = qkv5[0], qkv5[1], qkv5[2]
        s = (q @ k.transpose(0, 1, 3, 2)) * scale + bias  # (B,H,T,T)
        s -= s.max(axis=-1, keepdims=True)
        pa = np.exp(s)
        pa /= pa.sum(axis=-1, keepdims=True)
        o = pa @ v  # (B,H,T,hd)
        oc = o.transpose(0, 2, 1, 3).reshape(B, T, d)
        x = x + oc @ p[f"wo_{layer}"]
        h2, c2 = _rms_fwd(x, p[f"g2_{layer}"])
        a = h2 @ p[f"w1_{layer}"]
        r = np.maximum(a, 0)
        x = x + r @ p[f"w2_{layer}"]
        caches.append((h, c1, q, k, v, pa, oc, h2, c2, r))
    hf, cf = _rms_fwd(x, p["gf"])
    logits = hf @ p["wout"]
    if targets is None:
        return logits
    m = logits.max(axis=-1, keepdims=True)
    z = logits - m
    lse = np.log(np.exp(z).sum(axis=-1, keepdims=True))
    logp = z - lse
    N = B * T
    loss = -np.take_along_axis(logp.reshape(N, -1), targets.reshape(N, 1), axis=1).mean()
    return logits, float(loss), (idx, targets, logp, hf, cf, caches)


def backward(p, cfg, cache):
    idx, targets, logp, hf, cf, caches = cache
    B, T = idx.shape
    d, H, L = cfg["d"], cfg["heads"], cfg["layers"]
    hd = d // H
    scale = np.float32(1.0 / np.sqrt(hd))
    N = B * T
    g = {}
    dlog = np.exp(logp).reshape(N, -1)
    dlog[np.arange(N), targets.reshape(N)] -= 1.0
    dlog = (dlog / N).astype(logp.dtype).reshape(B, T, -1)
    g["wout"] = hf.reshape(N, d).T @ dlog.reshape(N, -1)
    dhf = dlog @ p["wout"].T
    dx, g["gf"] = _rms_bwd(dhf, p["gf"], cf)
    for layer in reversed(range(L)):
        h, c1, q, k, v, pa, oc, h2, c2, r = caches[layer]
        # MLP
        g[f"w2_{layer}"] = r.reshape(N, -1).T @ dx.reshape(N, d)
        dr = dx @ p[f"w2_{layer}"].T
        dr *= r > 0
        g[f"w1_{layer}"] = h2.reshape(N, d).T @ dr.reshape(N, -1)
        dh2 = dr @ p[f"w1_{layer}"].T
        dxn, g[f"g2_{layer}"] = _rms_bwd(dh2, p[f"g2_{layer}"], c2)
        dx = dx + dxn
        # attention
        g[f"wo_{layer}"] = oc.reshape(N, d).T @ dx.reshape(N, d)
        doc = dx @ p[f"wo_{layer}"].T
        do = doc.reshape(B, T, H, hd).transpose(0, 2, 1, 3)  # (B,H,T,hd)
        dv = pa.transpose(0, 1, 3, 2) @ do
        dpa = do @ v.transpose(0, 1, 3, 2)
        ds = pa * (dpa - (dpa * pa).sum(axis=-1, keepdims=True))
        ds *= scale
        dq = ds @ k
        dk = ds.transpose(0, 1, 3, 2) @ q
        dqkv = np.stack([dq, dk, dv]).transpose(1, 3, 0, 2, 4).reshape(B, T, 3 * d)
        g[f"wqkv_{layer}"] = h.reshape(N, d).T @ dqkv.reshape(N, -1)
        dh = dqkv @ p[f"wqkv_{layer}"].T
        dxn, g[f"g1_{layer}"] = _rms_bwd(dh, p[f"g1_{layer}"], c1)
        dx = dx + dxn
    gw = np.zeros_like(p["wte"])
    np.add.at(gw, idx.reshape(N), dx.reshape(N, d))
    g["wte"] = gw
    return g
