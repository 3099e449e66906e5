"""CNN Marathon: the NumPy baseline against the same network in PyTorch (CPU).

compare(data_dir) loads the baseline's own weights.npz into an equivalent
PyTorch model, runs both on the same 1,000 CIFAR-10 test images, alternating
numpy, torch, numpy, torch, ... so that both see the same machine noise,
checks that they give the same labels, and returns one result row.

It also checks the baseline against ``reference_predict`` below: the same weights through
plain im2col convolutions (one GEMM per layer over every pixel's 3x3 neighbourhood, then pool,
bias, ReLU), the arithmetic the baseline used before it switched to Winograd. The labels must
be identical, not merely close: on the 1,000 timed images in every run, and on all 10,000 test
images (with both accuracies printed) with ``--full-check``.

Both sides use 2 threads (the scorer's setting) and float32. Both timings
include the uint8 -> float32 conversion of the input and the final argmax.
PyTorch runs in inference mode with channels-last weights: its fastest plain
configuration that we tried (no torch.compile, no quantization).

Run directly:  python benchmarks/torch_cnn.py [DATA_DIR] [--full-check]
"""

import os

# The scorer pins BLAS to 2 threads; do the same for NumPy's BLAS when this
# module is what first imports NumPy (otherwise the caller's setting stays).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
os.environ.setdefault("OMP_NUM_THREADS", "2")

import json
import sys

import numpy as np
from matmul_peak import PeakSampler
from numpy.lib.stride_tricks import sliding_window_view
from pairs import interleaved, load_baseline, yardstick

from scorer.scoring import datasets

CHANNELS = (3, 32, 64, 128, 256)
N_IMAGES = 1000
PAUSE_S = 0.3


def flops_per_image():
    """Multiply-adds x 2 of the convolutions and the dense layer (pool/ReLU ignored)."""
    total = 0
    for i in range(4):
        side = 32 >> i
        total += 2 * side * side * 9 * CHANNELS[i] * CHANNELS[i + 1]
    return total + 2 * 2 * 2 * CHANNELS[4] * 10


def _test_images(data_dir, n):
    return np.ascontiguousarray(datasets.load_cifar10(data_dir)["x_test"][:n])


def reference_predict(weights_path, x, chunk=100):
    """Labels by plain im2col convolutions in float32: the yardstick the baseline must match."""
    with np.load(weights_path, allow_pickle=False) as f:
        w = {k: f[k].astype(np.float32) for k in f.files}
    labels = np.empty(len(x), np.int64)
    for start in range(0, len(x), chunk):
        a = x[start : start + chunk].astype(np.float32)
        n = len(a)
        for i in range(4):
            side, cin, cout = 32 >> i, CHANNELS[i], CHANNELS[i + 1]
            # layer 0 pads the raw image with the mean pixel ("0 after normalisation")
            p = np.empty((n, side + 2, side + 2, cin), np.float32)
            p[:] = w["pad_value"] if i == 0 else 0.0
            p[:, 1:-1, 1:-1] = a
            cols = sliding_window_view(p, (3, 3), axis=(1, 2)).transpose(0, 1, 2, 4, 5, 3)
            z = cols.reshape(n * side * side, 9 * cin) @ w[f"w{i}"]
            z = z.reshape(n, side // 2, 2, side // 2, 2, cout).max(axis=(2, 4))
            a = np.maximum(z + w[f"b{i}"], 0)
        labels[start : start + chunk] = (a.reshape(n, -1) @ w["fc_w"] + w["fc_b"]).argmax(axis=1)
    return labels


def full_check(data_dir: str) -> dict:
    """The baseline against reference_predict on all 10,000 test images: identical labels."""
    baseline, folder = load_baseline("cnn_marathon")
    cifar = datasets.load_cifar10(data_dir)
    x, y = np.ascontiguousarray(cifar["x_test"]), cifar["y_test"]
    got = baseline.predict(baseline.load(str(folder)), x)
    want = reference_predict(folder / "weights.npz", x)
    differ = int(np.sum(got != want))
    report = {
        "images": len(x),
        "labels_differ": differ,
        "baseline_accuracy": float(np.mean(got == y)),
        "reference_accuracy": float(np.mean(want == y)),
    }
    if differ:
        raise AssertionError(
            f"the baseline's labels differ from the im2col reference on {differ} images: {report}"
        )
    return report


def _torch_model(weights_path):
    """Same network in PyTorch, built from the baseline's folded weights."""
    import torch
    from torch import nn

    with np.load(weights_path, allow_pickle=False) as f:
        w = {k: f[k].astype(np.float32) for k in f.files}

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.convs = nn.ModuleList(
                nn.Conv2d(CHANNELS[i], CHANNELS[i + 1], 3, padding=1) for i in range(4)
            )
            self.fc = nn.Linear(2 * 2 * CHANNELS[4], 10)
            self.register_buffer("pad", torch.from_numpy(w["pad_value"]).view(1, 3, 1, 1))

        def forward(self, x_uint8_nhwc):
            # The NumPy model pads the raw image with the mean pixel; here we
            # subtract that mean first and pad with zeros, and put the
            # difference into the first conv's bias (see below): same result.
            x = x_uint8_nhwc.permute(0, 3, 1, 2).float() - self.pad
            for conv in self.convs:
                x = torch.relu(torch.max_pool2d(conv(x), 2))
            return self.fc(x.flatten(1))

    net = Net()
    with torch.no_grad():
        for i, conv in enumerate(net.convs):
            cin, cout = CHANNELS[i], CHANNELS[i + 1]
            k = w[f"w{i}"].reshape(3, 3, cin, cout)  # (kh, kw, cin, cout)
            conv.weight.copy_(torch.from_numpy(np.ascontiguousarray(k.transpose(3, 2, 0, 1))))
            bias = w[f"b{i}"]
            if i == 0:  # conv(x - m) = conv_meanpadded(x) - sum(W * m)
                bias = bias + np.einsum("hwco,c->o", k, w["pad_value"])
            conv.bias.copy_(torch.from_numpy(bias.astype(np.float32)))
        # NumPy flattens (h, w, c), PyTorch flattens (c, h, w)
        fw = w["fc_w"].reshape(2, 2, CHANNELS[4], 10).transpose(2, 0, 1, 3).reshape(-1, 10)
        net.fc.weight.copy_(torch.from_numpy(np.ascontiguousarray(fw.T)))
        net.fc.bias.copy_(torch.from_numpy(w["fc_b"]))
    # channels-last is PyTorch's recommended CPU inference layout for convs
    # (oneDNN); it was a little faster than the default here, so we use it
    return net.eval().to(memory_format=torch.channels_last)


def compare(data_dir: str, repeats: int = 7) -> list[dict]:
    import torch

    torch.set_num_threads(2)
    baseline, folder = load_baseline("cnn_marathon")
    model = baseline.load(str(folder))
    x = _test_images(data_dir, N_IMAGES)
    net = _torch_model(folder / "weights.npz")

    def run_torch():
        with torch.inference_mode():
            return net(torch.from_numpy(x)).argmax(1).numpy()

    np_labels = baseline.predict(model, x)  # warm-up both
    torch_labels = run_torch()
    differ = int(np.sum(np_labels != reference_predict(folder / "weights.npz", x)))
    if differ:  # Winograd must change rounding only, never a label
        raise AssertionError(
            f"the baseline's labels differ from the im2col reference on {differ} of {len(x)} images"
        )
    agree = float(np.mean(np_labels == torch_labels))
    if agree < 0.995:  # float32 rounding may flip a rare near-tie, nothing more
        raise AssertionError(f"NumPy and PyTorch labels agree on only {agree:.2%}")

    timings = interleaved(
        lambda: baseline.predict(model, x),
        run_torch,
        repeats,
        PAUSE_S,
        scored_as=folder,
        peak=PeakSampler(),
    )
    numpy_s, torch_s = timings.numpy_median, timings.torch_median
    return [
        {
            "event": "cnn_marathon",
            "what": "predict() 1,000 images",
            "numpy_s": numpy_s,
            "torch_s": torch_s,
            "ratio": numpy_s / torch_s,
            "numpy_gflops": flops_per_image() * N_IMAGES / numpy_s / 1e9,
            **yardstick(flops_per_image() * N_IMAGES, timings),
            "labels_agree": agree,
            "labels_differ_from_reference": differ,
        }
    ]


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--full-check"]
    data = args[0] if args else os.environ.get("TINYMLPERF_DATA", "")
    print(json.dumps(full_check(data) if "--full-check" in sys.argv else compare(data), indent=2))
