"""Corpus BLEU-4 on whitespace-separated words, the Transformer Decathlon's reported extra.

BLEU = brevity penalty * exp(mean over n=1..4 of log modified n-gram precision), on a 0-100
scale, with add-one smoothing of the n>1 precisions (Lin and Och, 2004) so that short
continuations without a matching 4-gram still get a finite score.
"""

from __future__ import annotations

import math
from collections import Counter


def _ngrams(words: list[str], n: int) -> Counter:
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def corpus_bleu(hypotheses: list[str], references: list[str], max_n: int = 4) -> float:
    matches = [0] * max_n
    totals = [0] * max_n
    hyp_len = ref_len = 0
    for hyp, ref in zip(hypotheses, references, strict=True):
        h, r = hyp.split(), ref.split()
        hyp_len += len(h)
        ref_len += len(r)
        for n in range(1, max_n + 1):
            hc, rc = _ngrams(h, n), _ngrams(r, n)
            matches[n - 1] += sum(min(count, rc[g]) for g, count in hc.items())
            totals[n - 1] += max(len(h) - n + 1, 0)
    if hyp_len == 0 or matches[0] == 0:
        return 0.0
    log_precision = 0.0
    for n in range(max_n):
        smooth = 0 if n == 0 else 1
        log_precision += math.log((matches[n] + smooth) / (totals[n] + smooth))
    brevity = 1.0 if hyp_len > ref_len else math.exp(1 - ref_len / hyp_len)
    return 100.0 * brevity * math.exp(log_precision / max_n)
