import math

import pytest

from kefu.errors import InvalidRequestError
from kefu.evaluate.metrics.ner import entity_scores
from kefu.evaluate.metrics.ranking import ndcg_at, pairwise_accuracy, ranking_scores


def test_seqeval_entity_level_needs_exact_span():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    pred = [["B-PER", "I-PER", "O", "O"], ["B-ORG", "B-ORG"]]
    s = entity_scores(gold, pred)
    # gold entities: PER, LOC, ORG (3); predicted: PER, ORG, ORG (3); correct: PER, ORG (2)
    assert s["micro"] == pytest.approx({"precision": 2 / 3, "recall": 2 / 3, "f1": 2 / 3})
    assert s["per_type"]["LOC"]["recall"] == 0.0 and s["per_type"]["PER"]["f1"] == 1.0
    assert s["per_type"]["ORG"]["precision"] == pytest.approx(0.5)
    # a truncated span is a miss, not a partial hit
    assert entity_scores([["B-PER", "I-PER"]], [["B-PER", "O"]])["micro"]["f1"] == 0.0


def test_seqeval_length_mismatch_is_named():
    with pytest.raises(InvalidRequestError, match="sequence 0"):
        entity_scores([["O", "O"]], [["O"]])


def test_ranking_hit_mrr_ndcg_hand_computed():
    ranked = [["d3", "d1", "d2"], ["d9", "d8"], ["d5"]]
    relevant = [{"d1", "d2"}, {"d7"}, {"d5"}]
    s = ranking_scores(ranked, relevant, ks=(1, 3))
    assert s["hit@1"] == pytest.approx(1 / 3)
    assert s["hit@3"] == pytest.approx(2 / 3)
    assert s["mrr"] == pytest.approx((1 / 2 + 0 + 1) / 3)
    # query 1: DCG = 1/log2(3) + 1/log2(4); ideal = 1 + 1/log2(3)
    q1 = (1 / math.log2(3) + 0.5) / (1 + 1 / math.log2(3))
    assert s["ndcg@3"] == pytest.approx((q1 + 0 + 1) / 3)
    assert ndcg_at(["a", "a"], {"a"}, 2) == 1.0  # a repeated id earns its gain once


def test_pairwise_accuracy_ties_are_wrong():
    s = pairwise_accuracy([1.0, 0.5, 0.2, 3.0], [0.0, 0.5, 0.9, 1.0])
    assert s["accuracy"] == 0.5 and s["ties"] == 0.25
    assert s["margin"] == pytest.approx((1 + 0 - 0.7 + 2) / 4)
