"""Train the baseline character-level GPT on the Tiny Shakespeare train split.

    OPENBLAS_NUM_THREADS=1 python train.py --data /path/to/datasets

The data folder is laid out like the project's shared datasets folder
(<data>/tinyshakespeare/input.txt); it defaults to $TINYMLPERF_DATA.
Deterministic: fixed seeds, and with one BLAS thread the same run gives the
same weights.  Writes weights.npz (and a checkpoint every --ckpt-every steps,
so an interrupted run still leaves usable weights) next to this file.

The scorer retrains with the same recipe (`tinymlperf reproduce`): it calls
fit(train_split, out_dir, budget) in its sandbox with the training text only,
train_split {"tokens": int64 ids of the first 90% of the characters, "vocab": the
sorted 65 characters}, out_dir the only folder it may write (weights.npz goes
there) and budget {"wall_s", "cpu_s"}. There is no validation text in fit(), so it
prints the training loss only; the standalone run also prints validation losses,
which never feed back into training (both share train()).
"""

import argparse
import math
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import model as M  # noqa: E402

CFG = dict(d=128, heads=4, layers=4, ffn=512, vocab=65, window=128)
N_TRAIN = 1003854  # first 90% of the characters; the rest is validation


def load_text(data_dir):
    with open(os.path.join(data_dir, "tinyshakespeare", "input.txt"), encoding="utf-8") as f:
        text = f.read()
    chars = sorted(set(text))
    assert len(chars) == 65, len(chars)
    lut = {c: i for i, c in enumerate(chars)}
    ids = np.array([lut[c] for c in text], dtype=np.int64)
    return ids[:N_TRAIN], ids[N_TRAIN:]


def eval_windows(p, val, n_windows=None, T=512, batch=8):
    """Mean next-char cross-entropy over non-overlapping 512-token windows,
    exactly how the scorer measures perplexity."""
    nw = (len(val) - 1) // T
    if n_windows is not None:
        nw = min(nw, n_windows)
    bias = M.attention_bias(CFG["heads"], T, CFG["window"])
    tot, cnt = 0.0, 0
    for s in range(0, nw, batch):
        ks = range(s, min(nw, s + batch))
        x = np.stack([val[k * T : k * T + T] for k in ks])
        y = np.stack([val[k * T + 1 : k * T + T + 1] for k in ks])
        _, loss, _ = M.forward(p, CFG, x, y, bias)
        tot += loss * y.size
        cnt += y.size
    return tot / cnt


def parser():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.environ.get("TINYMLPERF_DATA"))
    ap.add_argument("--steps", type=int, default=2500)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--block", type=int, default=256)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--min-lr", type=float, default=1e-4)
    ap.add_argument("--warmup", type=int, default=200)
    ap.add_argument("--wd", type=float, default=0.1)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--ckpt-every", type=int, default=250)
    ap.add_argument("--seed", type=int, default=1337)
    ap.add_argument("--out", default=os.path.join(HERE, "weights.npz"))
    return ap


def fit(train_split, out_dir, budget):
    """The scorer's entry point: the default recipe on the training text; writes
    out_dir/weights.npz. Stops early (keeping the weights so far) when 95% of
    budget["wall_s"] has passed."""
    vocab = "".join(str(c) for c in train_split["vocab"])
    if len(vocab) != CFG["vocab"]:
        raise ValueError(f"the model has {CFG['vocab']} tokens, the training text {len(vocab)}")
    args = parser().parse_args([])
    args.out = os.path.join(out_dir, "weights.npz")
    train_model(
        args,
        np.asarray(train_split["tokens"], dtype=np.int64),
        None,
        deadline=time.time() + 0.95 * float(budget["wall_s"]),
    )


def train_model(args, train, val, deadline=None):
    print(
        f"train chars {len(train)}  val chars {len(val) if val is not None else 0}  config {CFG}",
        flush=True,
    )
    p = M.init_params(CFG, seed=args.seed)
    n_params = sum(v.size for v in p.values())
    print(f"parameters {n_params}", flush=True)
    rng = np.random.default_rng(args.seed)
    bias = M.attention_bias(CFG["heads"], args.block, CFG["window"])
    # AdamW state
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v2 = {k: np.zeros_like(v) for k, v in p.items()}
    b1, b2, eps = 0.9, 0.99, 1e-8
    decay = {k for k in p if k.startswith("w")}  # matrices and embeddings; not the norm gains

    def lr_at(step):
        if step < args.warmup:
            return args.lr * (step + 1) / args.warmup
        t = (step - args.warmup) / max(1, args.steps - args.warmup)
        return args.min_lr + 0.5 * (args.lr - args.min_lr) * (1 + math.cos(math.pi * t))

    def save(path):
        np.savez(
            path,
            **{k: v.astype(np.float32) for k, v in p.items()},
            config=np.array(
                [CFG["d"], CFG["heads"], CFG["layers"], CFG["ffn"], CFG["vocab"], CFG["window"]],
                dtype=np.int64,
            ),
        )

    t_start = time.time()
    t_last, tok_last = t_start, 0
    run_loss = None
    B, T = args.batch, args.block
    offs = np.arange(T + 1)
    for step in range(args.steps):
        starts = rng.integers(0, len(train) - T - 1, B)
        chunk = train[starts[:, None] + offs]
        x, y = chunk[:, :-1], chunk[:, 1:]
        _, loss, cache = M.forward(p, CFG, x, y, bias)
        g = M.backward(p, CFG, cache)
        gnorm = math.sqrt(sum(float(np.sum(gv * gv)) for gv in g.values()))
        cscale = min(1.0, args.clip / (gnorm + 1e-6))
        lr = lr_at(step)
        t = step + 1
        bc1, bc2 = 1 - b1**t, 1 - b2**t
        for k in p:
            gk = g[k] * cscale
            m[k] *= b1
            m[k] += (1 - b1) * gk
            v2[k] *= b2
            v2[k] += (1 - b2) * gk * gk
            if k in decay:
                p[k] *= 1 - lr * args.wd
            p[k] -= (lr / bc1) * m[k] / (np.sqrt(v2[k] / bc2) + eps)
        run_loss = loss if run_loss is None else 0.95 * run_loss + 0.05 * loss
        if (step + 1) % args.eval_every == 0 or step == 0:
            now = time.time()
            tok = (step + 1) * B * T
            shown = "" if val is None else f"  val(24x512) {eval_windows(p, val, n_windows=24):.4f}"
            print(
                f"step {step + 1:5d}  train {run_loss:.4f}{shown}  lr {lr:.2e}  "
                f"|g| {gnorm:.2f}  tok/s {(tok - tok_last) / (now - t_last):.0f}  "
                f"elapsed {now - t_start:.0f}s",
                flush=True,
            )
            t_last, tok_last = time.time(), tok
        if (step + 1) % args.ckpt_every == 0:
            save(args.out)
        if deadline is not None and time.time() > deadline:
            print(f"stopping after step {step + 1}: the wall budget is spent", flush=True)
            break
    train_time = time.time() - t_start
    save(args.out)
    if val is not None:
        vl = eval_windows(p, val)
        print(
            f"final val loss over all {(len(val) - 1) // 512} windows of 512: {vl:.4f} nats  "
            f"perplexity {math.exp(vl):.3f}",
            flush=True,
        )
    print(
        f"total training time {train_time:.0f}s ({train_time / 60:.1f} min), "
        f"total incl. final eval {time.time() - t_start:.0f}s",
        flush=True,
    )


def main():
    args = parser().parse_args()
    if not args.data:
        sys.exit("give --data or set TINYMLPERF_DATA")
    train, val = load_text(args.data)
    train_model(args, train, val)


if __name__ == "__main__":
    main()
