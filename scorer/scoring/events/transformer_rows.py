"""The Transformer Decathlon's ``logits()`` rows: the evaluation windows and the checks hidden
among them (training-text and perturbed windows, causality probes, greedy contexts, repeats).

``plan`` lays every row of a run out in full (8, 512) batches in a random order, so that a check
cannot be told from a measured window by its shape or its place; ``transformer_decathlon.run``
asks for the rows and scores each by its kind. Why each check exists, and its calibration, is in
that module's docstring.
"""

from __future__ import annotations

import numpy as np

CONTEXT = 512
WINDOWS_PER_CALL = 8
VOCAB = 65
CAUSALITY_PROBES = 2
MIN_REPEATS = 3
TRAIN_WINDOWS = 16
PERTURBED_WINDOWS = 12
PERTURB_SWAPS = 4


def window_tokens(val: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    idx = np.asarray(starts)[:, None] + np.arange(CONTEXT + 1)[None, :]
    block = val[idx]
    return block[:, :-1], block[:, 1:]


def perturb(
    segment: np.ndarray, vocab: str, rng: np.random.Generator, swaps: int = PERTURB_SWAPS
) -> np.ndarray:
    """``segment`` with two adjacent whole lines exchanged and ``swaps`` pairs of adjacent words
    (letters only, one space apart) swapped: natural text of the same length, no longer a copy.
    Text without spaces or newlines in ``vocab`` comes back unchanged."""
    seg = np.array(segment, dtype=np.int64, copy=True)
    newline, space = vocab.find("\n"), vocab.find(" ")
    if newline >= 0:
        ends = np.flatnonzero(seg == newline)
        if len(ends) >= 3:
            i = int(rng.integers(len(ends) - 2))
            a, b, c = ends[i] + 1, ends[i + 1] + 1, ends[i + 2] + 1
            seg[a:c] = np.concatenate([seg[b:c], seg[a:b]])
    if space < 0:
        return seg
    letter = np.array([ch.isalpha() for ch in vocab] + [False] * (VOCAB - len(vocab)))[seg]
    edges = np.diff(np.concatenate([[0], letter.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)  # words [start, end)
    pairs = [
        j for j in range(len(starts) - 1) if starts[j + 1] == ends[j] + 1 and seg[ends[j]] == space
    ]
    used: set[int] = set()
    done = 0
    for j in rng.permutation(pairs) if pairs else []:
        if done == swaps:
            break
        if j in used or j + 1 in used:
            continue
        used.update((j, j + 1))
        a, m, b = starts[j], ends[j], ends[j + 1]
        seg[a:b] = np.concatenate([seg[m + 1 : b], [space], seg[a:m]])
        done += 1
    return seg


def _segments(text: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` random 513-token segments of ``text``."""
    starts = rng.integers(0, len(text) - CONTEXT, size=n)
    return text[starts[:, None] + np.arange(CONTEXT + 1)[None, :]]


def _probe(
    window: np.ndarray, source: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, int]:
    """``window`` with everything after a random cut replaced by other natural text from
    ``source``: the candidate that changes the most later tokens, the first one always."""
    cut = int(rng.integers(CONTEXT // 4, CONTEXT - 1))
    tail = CONTEXT - cut - 1
    best, changed = None, -1
    for start in rng.integers(0, len(source) - tail, size=16):
        cand = source[start : start + tail]
        n = int(np.sum(cand != window[cut + 1 :]))
        if cand[0] != window[cut + 1] and n > changed:
            best, changed = cand, n
    if best is None:  # a degenerate source text: fall back on shifted tokens
        best = (window[cut + 1 :] + rng.integers(1, VOCAB, size=tail)) % VOCAB
    return np.concatenate([window[: cut + 1], best]), cut


def plan(
    data: dict, contexts: list[np.ndarray], rng: np.random.Generator
) -> tuple[np.ndarray, list[dict]]:
    """Every row of the run's ``logits()`` batches, shuffled, and what each row is for.

    Returns ``rows`` (n_batches * WINDOWS_PER_CALL, 512) and one dict per row: ``kind`` (val,
    train, perturbed, greedy, probe or repeat), ``targets`` for the scored kinds, ``index``
    (window or context number), ``of`` (the row a probe or repeat is compared with) and ``cut``.
    """
    val, vocab = data["val"], data["vocab"]
    train = data.get("train", val)  # prepare() always gives it; small synthetic test data may not
    inputs, targets = window_tokens(val, data["window_starts"])
    items: list[tuple[np.ndarray, dict]] = []
    items += [
        (inputs[k], {"kind": "val", "index": k, "targets": targets[k]}) for k in range(len(inputs))
    ]
    for j, seg in enumerate(_segments(train, TRAIN_WINDOWS, rng)):
        items.append((seg[:-1], {"kind": "train", "index": j, "targets": seg[1:]}))
    for j, seg in enumerate(_segments(val, PERTURBED_WINDOWS, rng)):
        seg = perturb(seg, vocab, rng)
        items.append((seg[:-1], {"kind": "perturbed", "index": j, "targets": seg[1:]}))
    items += [
        (np.asarray(c, dtype=np.int64), {"kind": "greedy", "index": g})
        for g, c in enumerate(contexts)
    ]
    probe_of = rng.choice(len(inputs), size=min(CAUSALITY_PROBES, len(inputs)), replace=False)
    for k in probe_of:
        row, cut = _probe(inputs[k], train, rng)
        items.append((row, {"kind": "probe", "window": int(k), "cut": cut}))

    per = WINDOWS_PER_CALL
    n_batches = -(-(len(items) + MIN_REPEATS) // per)
    n_batches += n_batches % 2  # two equal halves, around the BLEU generates
    total = n_batches * per
    half = total // 2
    n_repeats = total - len(items)
    repeat_slots = set((half + rng.choice(half, size=n_repeats, replace=False)).tolist())
    free = [s for s in range(total) if s not in repeat_slots]
    order = rng.permutation(len(items))
    rows = np.empty((total, CONTEXT), dtype=np.int64)
    info: list[dict] = [{}] * total
    slot_of_val = {}
    for slot, i in zip(free, order, strict=True):
        rows[slot], info[slot] = items[i][0], dict(items[i][1])
        if info[slot]["kind"] == "val":
            slot_of_val[info[slot]["index"]] = slot
    for slot in range(total):
        if info[slot].get("kind") == "probe":
            info[slot]["of"] = slot_of_val[info[slot]["window"]]
    # Repeat windows already scored in the first half, each at another row of its batch.
    candidates = [s for s in range(half) if info[s]["kind"] in ("val", "train", "perturbed")]
    chosen: set[int] = set()
    for slot in sorted(repeat_slots):
        options = [s for s in candidates if s not in chosen and s % per != slot % per]
        if not options:
            options = [s for s in candidates if s % per != slot % per]
        src = int(options[int(rng.integers(len(options)))])
        chosen.add(src)
        rows[slot], info[slot] = rows[src], {"kind": "repeat", "of": src}
    return rows, info
