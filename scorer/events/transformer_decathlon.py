"""Transformer Decathlon: a character-level TinyGPT on Tiny Shakespeare; ranked by tokens/s.

One run:
1. ``load()`` the weights.
2. Perplexity: ``logits()`` over every evaluation window of the validation split. Window k
   holds the 512 tokens starting at ``513 * k`` and is scored on predicting the next 512; the
   stride of 513 keeps each window's last target out of every input. A causality probe then
   changes the tokens after a random position of one window and requires the logits up to it
   to stay the same, so a model cannot read the answers from later inputs.
3. Speed: ``generate()`` 448 tokens after a 64-token prompt (the full 512 context), three
   prompts drawn with a seed the child never sees; tokens/s is the median. Each continuation
   must be the greedy choice of the same model's ``logits()``.
4. BLEU of greedy 64-token continuations of ``BLEU_PROMPTS`` fixed prompts (reported only).
"""

from __future__ import annotations

import numpy as np

from scorer import datasets
from scorer.events.base import AnswerError, Outcome, call, check_float_array, load_model, scored
from scorer.events.bleu import corpus_bleu

CONTEXT = 512
WINDOW_STRIDE = CONTEXT + 1
WINDOWS_PER_CALL = 8
PROMPT = 64
GENERATE = CONTEXT - PROMPT   # 448
SPEED_PROMPTS = 3
BLEU_PROMPTS = 16
BLEU_LENGTH = 64
CAUSALITY_TOLERANCE = 1e-3
# A greedy token is accepted when its logit is this close to the maximum: the KV-cache path and
# the full forward pass differ by float32 rounding.
GREEDY_TOLERANCE = 1e-3


def prepare(folder=None) -> dict:
    text = datasets.load_tinyshakespeare(folder)
    vocab = text["vocab"]
    val = datasets.encode(text["val"], vocab)
    n_windows = (len(val) - 1) // WINDOW_STRIDE
    starts = np.arange(n_windows) * WINDOW_STRIDE
    bleu_starts = np.linspace(0, len(val) - PROMPT - BLEU_LENGTH - 1, BLEU_PROMPTS).astype(np.int64)
    return {"val": val, "vocab": vocab, "window_starts": starts, "bleu_starts": bleu_starts}


def window_tokens(val: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    idx = starts[:, None] + np.arange(CONTEXT + 1)[None, :]
    block = val[idx]
    return block[:, :-1], block[:, 1:]


def nll(logits: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Negative log-likelihood of each target under softmax(logits), in float64."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_z = np.log(np.exp(shifted).sum(axis=-1))
    picked = np.take_along_axis(shifted, targets[..., None], axis=-1)[..., 0]
    return log_z - picked


def _logits(sandbox, out: Outcome, name: str, tokens: np.ndarray, phase: str):
    """The child's logits for ``tokens`` (checked for shape and finiteness) and the call."""
    sandbox.put(name, tokens)
    result = call(sandbox, out, phase, "logits", "model", name)
    return check_float_array(result.value, (*tokens.shape, 65), "logits"), result


def _tokens(value, n: int, phase: str) -> np.ndarray:
    if value is None:
        raise AnswerError(f"{phase} returned nothing; expected {n} token ids")
    value = np.asarray(value)
    if value.dtype.kind not in "iu":
        raise AnswerError(f"{phase} returned dtype {value.dtype}; token ids must be integers")
    value = value.reshape(-1) if value.shape == (1, n) else value
    if value.shape != (n,):
        raise AnswerError(f"{phase} returned shape {value.shape}; expected ({n},)")
    if value.size and (value.min() < 0 or value.max() >= 65):
        raise AnswerError(f"{phase} returned token ids outside 0..64")
    return value.astype(np.int64)


@scored
def run(sandbox, data: dict, rng: np.random.Generator, limits, out: Outcome) -> Outcome:
    load_model(sandbox, out)
    val = data["val"]
    inputs, targets = window_tokens(val, data["window_starts"])
    total, seconds = 0.0, 0.0
    for i in range(0, len(inputs), WINDOWS_PER_CALL):
        logits, result = _logits(sandbox, out, "windows", inputs[i : i + WINDOWS_PER_CALL], "logits (perplexity)")
        total += float(nll(logits, targets[i : i + WINDOWS_PER_CALL]).sum())
        seconds += result.seconds
    out.quality = float(np.exp(total / targets.size))
    out.phases["perplexity"] = seconds

    # Causality probe: replace everything after position p; logits up to p must not move.
    w = int(rng.integers(len(inputs)))
    p = int(rng.integers(CONTEXT // 4, CONTEXT - 1))
    probe = np.stack([inputs[w], inputs[w]])
    # Every later token changes (a shift of 1..64 mod 65), so even a model that reads only the
    # very next token cannot get lucky with an unchanged one.
    probe[1, p + 1 :] = (probe[1, p + 1 :] + rng.integers(1, 65, size=CONTEXT - p - 1)) % 65
    logits, _ = _logits(sandbox, out, "probe", probe, "logits (causality check)")
    drift = float(np.max(np.abs(logits[0, : p + 1] - logits[1, : p + 1])))
    if drift > CAUSALITY_TOLERANCE:
        out.status = "rule_violation"
        out.reason = (
            f"logits at positions up to {p} changed by {drift:.3g} when only later tokens changed; "
            "each position may only see the tokens before it (causal attention)"
        )
        return out

    rates = []
    for s in rng.integers(0, len(val) - CONTEXT, size=SPEED_PROMPTS):
        prompt = val[s : s + PROMPT]
        sandbox.put("prompt", prompt)
        result = call(sandbox, out, "generate", "generate", "model", "prompt", GENERATE)
        generated = _tokens(result.value, GENERATE, "generate")
        rates.append(GENERATE / result.seconds)
        context = np.concatenate([prompt, generated[:-1]])[None, :]
        logits, _ = _logits(sandbox, out, "context", context, "logits (greedy check)")
        scores = logits[0, PROMPT - 1 :]
        chosen = np.take_along_axis(scores, generated[:, None], axis=1)[:, 0]
        gap = scores.max(axis=1) - chosen
        if np.any(gap > GREEDY_TOLERANCE):
            first = int(np.argmax(gap > GREEDY_TOLERANCE))
            out.status = "error"
            out.reason = (
                f"generate() token {first} is not the greedy choice of logits() "
                f"(its logit is {gap[first]:.3g} below the maximum); generation must be greedy "
                "and use the same model"
            )
            return out
    out.speed = float(np.median(rates))
    out.phases["generate_448"] = GENERATE / out.speed

    vocab = np.array(list(data["vocab"]))
    hyps, refs = [], []
    for s in data["bleu_starts"]:
        sandbox.put("prompt", val[s : s + PROMPT])
        result = call(sandbox, out, "generate (BLEU)", "generate", "model", "prompt", BLEU_LENGTH)
        hyps.append("".join(vocab[_tokens(result.value, BLEU_LENGTH, "generate")]))
        refs.append("".join(vocab[val[s + PROMPT : s + PROMPT + BLEU_LENGTH]]))
    out.extra["bleu"] = corpus_bleu(hyps, refs)
    return out
