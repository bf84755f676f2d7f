import numpy as np
import pytest

from kefu.errors import InvalidRequestError
from kefu.evaluate.metrics.classification import (
    accuracy,
    binary_curves,
    classification_scores,
    confusion,
    regression_scores,
    roc_auc,
)


def test_prf_macro_micro_per_class_hand_computed():
    gold = ["a", "a", "a", "b", "b", "c"]
    pred = ["a", "a", "b", "b", "c", "c"]
    s = classification_scores(gold, pred)
    # a: tp2 fp0 fn1 -> p1 r2/3 f0.8 ; b: tp1 fp1 fn1 -> p.5 r.5 f.5 ; c: tp1 fp1 fn0 -> p.5 r1 f2/3
    assert s["per_class"]["a"] == pytest.approx({"precision": 1.0, "recall": 2 / 3, "f1": 0.8, "support": 3})
    assert s["per_class"]["c"]["f1"] == pytest.approx(2 / 3)
    assert s["macro"]["precision"] == pytest.approx((1 + 0.5 + 0.5) / 3)
    assert s["macro"]["f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)
    assert s["micro"]["f1"] == pytest.approx(4 / 6) == s["accuracy"]
    assert accuracy(gold, pred) == pytest.approx(4 / 6)


def test_confusion_rows_are_gold():
    cm = confusion(["a", "a", "b"], ["a", "b", "b"], ["a", "b"])
    assert cm.tolist() == [[1, 1], [0, 1]]


def test_roc_auc_binary_and_curves():
    y = [0, 0, 1, 1]
    s = [0.1, 0.4, 0.35, 0.8]
    # 4 positive-negative pairs, 3 ranked right -> 0.75
    assert roc_auc(y, np.array(s)) == pytest.approx(0.75)
    c = binary_curves(y, s)
    assert c["roc"]["auc"] == pytest.approx(0.75)
    # AP: ranks 0.8(+) 0.4(-) 0.35(+) 0.1(-) -> precision at hits 1, 2/3 -> AP = (1 + 2/3)/2
    assert c["pr"]["ap"] == pytest.approx((1 + 2 / 3) / 2)
    assert c["roc"]["fpr"][0] == 0.0 and c["roc"]["tpr"][-1] == 1.0


def test_roc_auc_multiclass_ovr_perfect():
    y = ["x", "y", "z"]
    p = np.eye(3)
    assert roc_auc(y, p, labels=["x", "y", "z"]) == pytest.approx(1.0)


def test_roc_auc_undefined_is_a_clear_error():
    with pytest.raises(InvalidRequestError, match="ROC-AUC"):
        roc_auc([1, 1], np.array([0.2, 0.3]))


def test_mse_mae():
    r = regression_scores([1.0, 2.0, 3.0], [1.0, 3.0, 5.0])
    assert r == pytest.approx({"mse": 5 / 3, "mae": 1.0})


def test_length_mismatch():
    with pytest.raises(InvalidRequestError):
        classification_scores(["a"], ["a", "b"])
