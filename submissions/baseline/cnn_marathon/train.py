"""Train the TinyMLPerf CNN Marathon baseline with NumPy only.

Usage (from anywhere):
    OPENBLAS_NUM_THREADS=1 python train.py --data /path/to/datasets [--epochs 16]
    python train.py --gradcheck          # check every layer's backward pass first

The data folder is laid out like the shared datasets folder: it holds
cifar-10-batches-bin/data_batch_{1..5}.bin. If --data is not given, the
TINYMLPERF_DATA environment variable is used.

The scorer retrains the weights with the same recipe (`tinymlperf reproduce`): it
calls fit(train_split, out_dir, budget) in its sandbox, with the training images
and labels as train_split {"x_train", "y_train"}, out_dir the only folder it may
write (weights.npz goes there) and budget {"wall_s", "cpu_s"}. Standalone runs and
fit() share train(), so both give the same weights.

Only the 50,000 training images are read. The last 5,000 of them are held out
and used for nothing but printing a held-out accuracy after each epoch (model
selection); the network never trains on them. No data augmentation is used
(the event's rules forbid it).

Network (NHWC layout, i.e. channels last, everywhere):
    conv3x3  3->32  @32x32 + BatchNorm + maxpool2 + ReLU   -> 16x16x32
    conv3x3 32->64  @16x16 + BatchNorm + maxpool2 + ReLU   ->  8x8x64
    conv3x3 64->128 @8x8   + BatchNorm + maxpool2 + ReLU   ->  4x4x128
    conv3x3 128->256 @4x4  + BatchNorm + maxpool2 + ReLU   ->  2x2x256
    flatten (1024) -> fully connected -> 10 logits
Max-pool and ReLU commute (both are monotone), so we pool *before* the ReLU:
same result, 4x fewer ReLU operations.

At the end, BatchNorm is folded into the convolutions and the input
normalisation into the first convolution, and the weights are written as
float16 to weights.npz (see export()).
"""

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
CHANNELS = (3, 32, 64, 128, 256)
N_CLASSES = 10
EPS = 1e-5


# --------------------------------------------------------------------------- data
def load_cifar_bin(path):
    """Read one CIFAR-10 binary batch file -> (uint8 NHWC images, int64 labels)."""
    raw = np.fromfile(path, dtype=np.uint8).reshape(-1, 1 + 3072)
    labels = raw[:, 0].astype(np.int64)
    # Each record stores the R plane, then G, then B (each 32x32): CHW -> HWC.
    images = raw[:, 1:].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


def load_train(data_dir):
    folder = os.path.join(data_dir, "cifar-10-batches-bin")
    xs, ys = zip(
        *(load_cifar_bin(os.path.join(folder, f"data_batch_{i}.bin")) for i in range(1, 6)),
        strict=True,
    )
    return np.concatenate(xs), np.concatenate(ys)


# --------------------------------------------------------------------------- layers
def im2col3x3(x):
    """x: (N, H, W, C) -> columns (N*H*W, 9*C) of a 3x3 'same' convolution.

    Column order is (kh, kw, c), matching weights stored as (3, 3, Cin, Cout).
    We copy the 9 shifted windows of the zero-padded input into one buffer,
    so that the whole convolution becomes a single large matrix product.
    """
    n, h, w, c = x.shape
    xp = np.zeros((n, h + 2, w + 2, c), dtype=x.dtype)
    xp[:, 1:-1, 1:-1, :] = x
    cols = np.empty((n, h, w, 9, c), dtype=x.dtype)
    for i in range(3):
        for j in range(3):
            cols[:, :, :, 3 * i + j, :] = xp[:, i : i + h, j : j + w, :]
    return cols.reshape(n * h * w, 9 * c)


def col2im3x3(dcols, shape):
    """Adjoint of im2col3x3: scatter-add the column gradients back to the input."""
    n, h, w, c = shape
    d = dcols.reshape(n, h, w, 9, c)
    dxp = np.zeros((n, h + 2, w + 2, c), dtype=dcols.dtype)
    for i in range(3):
        for j in range(3):
            dxp[:, i : i + h, j : j + w, :] += d[:, :, :, 3 * i + j, :]
    return dxp[:, 1:-1, 1:-1, :]


class ConvBlock:
    """conv3x3 (no bias: BatchNorm's beta replaces it) -> BatchNorm -> maxpool2 -> ReLU."""

    def __init__(self, cin, cout, rng, dtype=np.float32):
        std = np.sqrt(2.0 / (9 * cin))  # He initialisation for ReLU nets
        self.W = (rng.standard_normal((9 * cin, cout)) * std).astype(dtype)
        self.gamma = np.ones(cout, dtype)
        self.beta = np.zeros(cout, dtype)
        self.run_mean = np.zeros(cout, dtype)
        self.run_var = np.ones(cout, dtype)
        self.first = cin == 3  # the first layer needs no input gradient

    def params(self):
        return [self.W, self.gamma, self.beta]

    def forward(self, x, train):
        n, h, w, _ = x.shape
        cols = im2col3x3(x)
        z = cols @ self.W  # (N*H*W, Cout): the whole convolution is one GEMM
        m, c = z.shape
        if train:
            # Column sums as matrix-vector products (BLAS) are much faster than
            # z.sum(axis=0) on tall-skinny arrays.
            ones = np.ones(m, z.dtype)
            mean = (ones @ z) / m
            var = np.maximum((ones @ (z * z)) / m - mean * mean, 0)
            self.run_mean = (0.9 * self.run_mean + 0.1 * mean).astype(z.dtype)
            self.run_var = (0.9 * self.run_var + 0.1 * var).astype(z.dtype)
        else:
            mean, var = self.run_mean, self.run_var
        inv_std = (1.0 / np.sqrt(var + EPS)).astype(z.dtype)
        scale = self.gamma * inv_std
        shift = self.beta - mean * scale
        y = z * scale
        y += shift
        y6 = y.reshape(n, h // 2, 2, w // 2, 2, c)
        p = y6.max(axis=(2, 4))  # (N, H/2, W/2, C)
        out = np.maximum(p, 0)
        if train:
            self.cache = (x.shape, cols, z, mean, inv_std, y6, p)
        return out

    def backward(self, dout):
        xshape, cols, z, mean, inv_std, y6, p = self.cache
        n, h, w, _ = xshape
        c = p.shape[-1]
        dp = dout * (p > 0)  # ReLU
        # max-pool: the gradient goes to the position that held the maximum
        dy = (y6 == p[:, :, None, :, None, :]).astype(z.dtype)
        dy *= dp[:, :, None, :, None, :]
        dy = dy.reshape(n * h * w, c)
        # BatchNorm with batch statistics, written as dz = k1*dy + k2*z + k3
        # (per-channel k's) so that we make few passes over the big arrays.
        m = dy.shape[0]
        ones = np.ones(m, z.dtype)
        s_dy = ones @ dy
        s_dyz = ones @ (dy * z)
        s_dyzhat = (s_dyz - mean * s_dy) * inv_std  # sum(dy * zhat)
        self.dgamma = s_dyzhat.astype(z.dtype)
        self.dbeta = s_dy.astype(z.dtype)
        k1 = (self.gamma * inv_std).astype(z.dtype)
        k2 = (-self.gamma * inv_std * inv_std * s_dyzhat / m).astype(z.dtype)
        k3 = (-k1 * s_dy / m - k2 * mean).astype(z.dtype)
        dz = dy * k1
        z *= k2  # z is not needed any more: reuse its memory
        dz += z
        dz += k3
        self.dW = cols.T @ dz
        self.cache = None
        if self.first:
            return None
        return col2im3x3(dz @ self.W.T, xshape)

    def grads(self):
        return [self.dW, self.dgamma, self.dbeta]


class Dense:
    def __init__(self, cin, cout, rng, dtype=np.float32):
        self.W = (rng.standard_normal((cin, cout)) * np.sqrt(1.0 / cin)).astype(dtype)
        self.b = np.zeros(cout, dtype)

    def params(self):
        return [self.W, self.b]

    def forward(self, x, train):
        self.shape = x.shape
        x2 = x.reshape(x.shape[0], -1)
        if train:
            self.x2 = x2
        return x2 @ self.W + self.b

    def backward(self, dout):
        self.dW = self.x2.T @ dout
        self.db = dout.sum(axis=0)
        return (dout @ self.W.T).reshape(self.shape)

    def grads(self):
        return [self.dW, self.db]


class Net:
    def __init__(self, rng, dtype=np.float32, channels=CHANNELS, spatial=32):
        self.blocks = [
            ConvBlock(a, b, rng, dtype) for a, b in zip(channels[:-1], channels[1:], strict=True)
        ]
        side = spatial // 2 ** len(self.blocks)
        self.fc = Dense(side * side * channels[-1], N_CLASSES, rng, dtype)
        self.layers = self.blocks + [self.fc]

    def forward(self, x, train):
        for layer in self.layers:
            x = layer.forward(x, train)
        return x

    def backward(self, dlogits):
        d = dlogits
        for layer in reversed(self.layers):
            d = layer.backward(d)

    def params(self):
        return [p for layer in self.layers for p in layer.params()]

    def grads(self):
        return [g for layer in self.layers for g in layer.grads()]

    def decay_mask(self):
        # weight decay on conv / dense weight matrices only, not on BN or biases
        return [p.ndim == 2 for p in self.params()]

    def state(self):
        d = {}
        for i, b in enumerate(self.blocks):
            d.update(
                {
                    f"c{i}_W": b.W,
                    f"c{i}_gamma": b.gamma,
                    f"c{i}_beta": b.beta,
                    f"c{i}_mean": b.run_mean,
                    f"c{i}_var": b.run_var,
                }
            )
        d.update(fc_W=self.fc.W, fc_b=self.fc.b)
        return d


def softmax_xent(logits, y, smoothing):
    """Mean cross-entropy with label smoothing; returns (loss, dlogits)."""
    n, k = logits.shape
    z = logits - logits.max(axis=1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    target = np.full((n, k), smoothing / k, dtype=logits.dtype)
    target[np.arange(n), y] += 1.0 - smoothing
    loss = -(target * logp).sum() / n
    dlogits = (np.exp(logp) - target) / n
    return float(loss), dlogits.astype(logits.dtype)


# --------------------------------------------------------------------------- gradcheck
def gradcheck():
    """Compare analytic gradients with central finite differences in float64."""
    rng = np.random.default_rng(1)
    net = Net(rng, np.float64, channels=(3, 4, 6), spatial=8)
    for b in net.blocks:  # non-trivial BN affine parameters
        b.gamma[:] = rng.uniform(0.5, 1.5, b.gamma.shape)
        b.beta[:] = rng.uniform(-0.3, 0.3, b.beta.shape)
    x = rng.standard_normal((5, 8, 8, 3))
    y = rng.integers(0, N_CLASSES, 5)

    def loss_fn():
        return softmax_xent(net.forward(x, True), y, 0.1)[0]

    _, d = softmax_xent(net.forward(x, True), y, 0.1)
    net.backward(d)
    worst = 0.0
    for p, g in zip(net.params(), net.grads(), strict=True):
        flat, gflat = p.reshape(-1), g.reshape(-1)
        idx = rng.choice(flat.size, min(flat.size, 20), replace=False)
        for i in idx:
            old = flat[i]
            flat[i] = old + 1e-5
            lp = loss_fn()
            flat[i] = old - 1e-5
            lm = loss_fn()
            flat[i] = old
            num = (lp - lm) / 2e-5
            rel = abs(num - gflat[i]) / max(1e-8, abs(num) + abs(gflat[i]))
            worst = max(worst, rel)
    print(f"gradcheck: worst relative error {worst:.2e} (parameters)")
    # input gradient of a non-first block, via a block used standalone
    blk = ConvBlock(4, 3, rng, np.float64)
    blk.gamma[:] = rng.uniform(0.5, 1.5, 3)
    xi = rng.standard_normal((3, 4, 4, 4))
    w = rng.standard_normal((3, 2, 2, 3))
    blk.forward(xi, True)
    dx = blk.backward(w)
    worst_x = 0.0
    for i in rng.choice(xi.size, 30, replace=False):
        flat = xi.reshape(-1)
        old = flat[i]
        flat[i] = old + 1e-5
        lp = (blk.forward(xi, True) * w).sum()
        flat[i] = old - 1e-5
        lm = (blk.forward(xi, True) * w).sum()
        flat[i] = old
        num = (lp - lm) / 2e-5
        rel = abs(num - dx.reshape(-1)[i]) / max(1e-8, abs(num) + abs(dx.reshape(-1)[i]))
        worst_x = max(worst_x, rel)
    print(f"gradcheck: worst relative error {worst_x:.2e} (conv block input)")
    ok = worst < 1e-5 and worst_x < 1e-5
    print("gradcheck", "PASSED" if ok else "FAILED")
    return ok


# --------------------------------------------------------------------------- export
def export(net, mean, std, path):
    """Fold BatchNorm and the input normalisation into the convolutions; save float16.

    Training computes   z = conv((x/255 - mean)/std, W);  y = gamma*(z - mu)/sigma + beta.
    Inference wants     y = conv(x, W') + b'   on the raw 0..255 pixels.
    BN fold:    W' = W * gamma/sigma,  b' = beta - mu * gamma/sigma.
    Input fold (first layer only): W'[.., c, :] /= 255*std[c] and
    b' -= sum over taps of W'*255*mean[c]. That is exact only if the border is
    padded with the *mean pixel* instead of 0 (0 in normalised space = the mean
    in raw space), which is what submission.py does.
    """
    out = {}
    for i, b in enumerate(net.blocks):
        W = b.W.astype(np.float64)
        scale = b.gamma.astype(np.float64) / np.sqrt(b.run_var.astype(np.float64) + EPS)
        Wf = W * scale
        bf = b.beta - b.run_mean * scale
        if i == 0:
            Wf = Wf.reshape(9, 3, -1) / (255.0 * std)[None, :, None]
            bf = bf - np.einsum("kco,c->o", Wf, 255.0 * mean)
            Wf = Wf.reshape(27, -1)
        out[f"w{i}"] = Wf.astype(np.float16)
        out[f"b{i}"] = bf.astype(np.float32)
    out["fc_w"] = net.fc.W.astype(np.float16)
    out["fc_b"] = net.fc.b.astype(np.float32)
    out["pad_value"] = (255.0 * mean).astype(np.float32)  # raw-space mean pixel
    np.savez(path, **out)


# --------------------------------------------------------------------------- main
def evaluate(net, x, y, mean, std, batch=500):
    correct = 0
    for s in range(0, len(x), batch):
        xb = (x[s : s + batch].astype(np.float32) / 255.0 - mean) / std
        correct += int(
            (net.forward(xb.astype(np.float32), False).argmax(1) == y[s : s + batch]).sum()
        )
    return correct / len(x)


def parser():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.environ.get("TINYMLPERF_DATA"))
    ap.add_argument("--epochs", type=int, default=16)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--wd", type=float, default=5e-4)
    ap.add_argument("--smoothing", type=float, default=0.1)
    ap.add_argument("--holdout", type=int, default=5000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default=os.path.join(HERE, "weights.npz"))
    ap.add_argument("--ckpt", default=None, help="checkpoint file written after each epoch")
    ap.add_argument("--max-steps", type=int, default=0, help="stop early (timing runs)")
    ap.add_argument("--gradcheck", action="store_true")
    return ap


def fit(train_split, out_dir, budget):
    """The scorer's entry point: the default recipe on the training split; writes
    out_dir/weights.npz. Stops after the epoch that would not leave time for another
    within budget["wall_s"] (and exports what it has then)."""
    args = parser().parse_args([])
    args.out = os.path.join(out_dir, "weights.npz")
    train(
        args,
        train_split["x_train"],
        np.asarray(train_split["y_train"], dtype=np.int64),
        wall_budget=float(budget["wall_s"]),
    )


def train(args, x_all, y_all, wall_budget=None):
    t0 = time.perf_counter()
    c0 = time.process_time()  # CPU time: what the run costs on an unshared core
    n_train = len(x_all) - args.holdout
    x_tr, y_tr = x_all[:n_train], y_all[:n_train]
    x_ho, y_ho = x_all[n_train:], y_all[n_train:]
    # per-channel normalisation statistics from the training split only
    flat = x_tr.reshape(-1, 3).astype(np.float64)
    mean = (flat.mean(axis=0) / 255.0).astype(np.float32)
    std = (flat.std(axis=0) / 255.0).astype(np.float32)
    del flat
    print(f"train {n_train}  held-out {len(x_ho)}  mean {mean}  std {std}", flush=True)

    rng = np.random.default_rng(args.seed)
    net = Net(rng)
    params = net.params()
    decay = net.decay_mask()
    vel = [np.zeros_like(p) for p in params]
    steps_per_epoch = n_train // args.batch  # drop the last partial batch
    total = steps_per_epoch * args.epochs
    warm = int(0.2 * total)

    def lr_at(step):
        # one-cycle: linear warm-up for 20% of the steps, then cosine decay to 0
        if step < warm:
            return args.lr * (0.1 + 0.9 * step / warm)
        t = (step - warm) / max(1, total - warm)
        return args.lr * 0.5 * (1 + np.cos(np.pi * t))

    print(
        f"epochs {args.epochs}  steps/epoch {steps_per_epoch}  batch {args.batch}  "
        f"lr {args.lr}  wd {args.wd}  smoothing {args.smoothing}",
        flush=True,
    )
    step = 0
    best = (-1.0, -1)
    for epoch in range(args.epochs):
        order = rng.permutation(n_train)
        tl, tc, seen = 0.0, 0, 0
        for s in range(steps_per_epoch):
            idx = order[s * args.batch : (s + 1) * args.batch]
            xb = ((x_tr[idx].astype(np.float32) / 255.0 - mean) / std).astype(np.float32)
            yb = y_tr[idx]
            logits = net.forward(xb, True)
            loss, d = softmax_xent(logits, yb, args.smoothing)
            net.backward(d)
            lr = lr_at(step)
            for p, g, v, dec in zip(params, net.grads(), vel, decay, strict=True):
                if dec:
                    g = g + args.wd * p
                v *= 0.9
                v += g
                p -= lr * (g + 0.9 * v)  # Nesterov momentum
            tl += loss * len(idx)
            tc += int((logits.argmax(1) == yb).sum())
            seen += len(idx)
            step += 1
            if args.max_steps and step >= args.max_steps:
                el = time.perf_counter() - t0
                print(f"stopped after {step} steps, {el:.1f}s ({el / step:.3f}s/step)")
                return
        ho = evaluate(net, x_ho, y_ho, mean, std) if len(x_ho) else float("nan")
        if ho > best[0]:
            best = (ho, epoch + 1)
        print(
            f"epoch {epoch + 1:3d}  loss {tl / seen:.4f}  train-acc {tc / seen:.4f}  "
            f"held-out-acc {ho:.4f}  lr {lr:.4f}  elapsed {time.perf_counter() - t0:.1f}s  "
            f"cpu {time.process_time() - c0:.1f}s",
            flush=True,
        )
        if args.ckpt:
            np.savez(args.ckpt, epoch=epoch + 1, mean=mean, std=std, **net.state())
        elapsed = time.perf_counter() - t0
        if (
            wall_budget is not None
            and epoch + 1 < args.epochs
            and elapsed * (epoch + 2) / (epoch + 1) > 0.95 * wall_budget
        ):
            print(
                f"stopping after epoch {epoch + 1}: another would pass the {wall_budget:.0f} s "
                "budget",
                flush=True,
            )
            break
    export(net, mean.astype(np.float64), std.astype(np.float64), args.out)
    print(f"best held-out {best[0]:.4f} at epoch {best[1]}; exported final epoch to {args.out}")
    print(
        f"total training time {time.perf_counter() - t0:.1f}s wall, "
        f"{time.process_time() - c0:.1f}s CPU",
        flush=True,
    )


def main():
    args = parser().parse_args()
    if args.gradcheck:
        sys.exit(0 if gradcheck() else 1)
    if not args.data:
        sys.exit("give --data or set TINYMLPERF_DATA")
    x_all, y_all = load_train(args.data)
    train(args, x_all, y_all)


if __name__ == "__main__":
    main()
