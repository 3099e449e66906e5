"""BLEU-4 against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from scorer.scoring.events.bleu import corpus_bleu


def test_identical_text_scores_100():
    assert corpus_bleu(["the cat sat on the mat"], ["the cat sat on the mat"]) == pytest.approx(
        100.0
    )


def test_no_shared_word_scores_0():
    assert corpus_bleu(["a b c d"], ["e f g h"]) == 0.0


def test_hand_worked_partial_match():
    # hyp "the cat sat down" vs ref "the cat sat on the mat":
    # 1-grams 3/4; 2-grams 2/3 -> (2+1)/(3+1); 3-grams 1/2 -> 2/3; 4-grams 0/1 -> 1/2 (smoothed)
    # brevity: hyp 4 words, ref 6 -> exp(1 - 6/4)
    expected = (
        100
        * math.exp(1 - 6 / 4)
        * math.exp((math.log(3 / 4) + math.log(3 / 4) + math.log(2 / 3) + math.log(1 / 2)) / 4)
    )
    assert corpus_bleu(["the cat sat down"], ["the cat sat on the mat"]) == pytest.approx(expected)


def test_clipped_counts_stop_repetition_from_scoring():
    # "the the the the" matches "the" at most twice (the reference has two)
    score = corpus_bleu(["the the the the"], ["the cat the mat"])
    expected = 100 * math.exp(
        (math.log(2 / 4) + math.log(1 / 4) + math.log(1 / 3) + math.log(1 / 2)) / 4
    )
    assert score == pytest.approx(expected)
