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
from scorer.events.base import AnswerError, Outcome, answer_error, check_float_array, failed
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


def _logits(sandbox, name: str, tokens: np.ndarray, phase: str, out: Outcome):
    sandbox.put(name, tokens)
    call = sandbox.call("logits", "model", name)
    if call.status != "ok":
        return None, failed(call, phase, out), call
    value = check_float_array(call.value, (*tokens.shape, 65), "logits")
    return value, None, call


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


def run(sandbox, data: dict, rng: np.random.Generator, limits) -> Outcome:
    out = Outcome()
    call = sandbox.call("load", "submission_dir", keep_as="model", want_value=False)
    if call.status != "ok":
        return failed(call, "load", out)
    out.phases["load"] = call.seconds

    val = data["val"]
    inputs, targets = window_tokens(val, data["window_starts"])
    total, seconds = 0.0, 0.0
    try:
        for i in range(0, len(inputs), WINDOWS_PER_CALL):
            logits, failure, call = _logits(sandbox, "windows", inputs[i : i + WINDOWS_PER_CALL], "logits (perplexity)", out)
            if failure:
                return failure
            total += float(nll(logits, targets[i : i + WINDOWS_PER_CALL]).sum())
            seconds += call.seconds
        out.quality = float(np.exp(total / targets.size))
        out.phases["perplexity"] = seconds

        # Causality probe: replace everything after position p; logits up to p must not move.
        w = int(rng.integers(len(inputs)))
        p = int(rng.integers(CONTEXT // 4, CONTEXT - 1))
        probe = np.stack([inputs[w], inputs[w]])
        probe[1, p + 1 :] = rng.integers(0, 65, size=CONTEXT - p - 1)
        logits, failure, _ = _logits(sandbox, "probe", probe, "logits (causality check)", out)
        if failure:
            return failure
        drift = float(np.max(np.abs(logits[0, : p + 1] - logits[1, : p + 1])))
        if drift > CAUSALITY_TOLERANCE:
            out.status = "rule_violation"
            out.reason = (
                f"logits at positions up to {p} changed by {drift:.3g} when only later tokens changed; "
                "each position may only see the tokens before it (causal attention)"
            )
            return out

        rates = []
        starts = rng.integers(0, len(val) - CONTEXT, size=SPEED_PROMPTS)
        for s in starts:
            prompt = val[s : s + PROMPT]
            sandbox.put("prompt", prompt)
            call = sandbox.call("generate", "model", "prompt", GENERATE)
            if call.status != "ok":
                return failed(call, "generate", out)
            generated = _tokens(call.value, GENERATE, "generate")
            rates.append(GENERATE / call.seconds)
            context = np.concatenate([prompt, generated[:-1]])[None, :]
            logits, failure, _ = _logits(sandbox, "context", context, "logits (greedy check)", out)
            if failure:
                return failure
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
            call = sandbox.call("generate", "model", "prompt", BLEU_LENGTH)
            if call.status != "ok":
                return failed(call, "generate (BLEU)", out)
            hyps.append("".join(vocab[_tokens(call.value, BLEU_LENGTH, "generate")]))
            refs.append("".join(vocab[val[s + PROMPT : s + PROMPT + BLEU_LENGTH]]))
        out.extra["bleu"] = corpus_bleu(hyps, refs)
    except AnswerError as err:
        return answer_error(out, err)
    return out
