from pathlib import Path

import numpy as np
import pytest

from kefu.dialog.intents import IntentClassifier, IntentPrediction
from kefu.errors import ConfigError, DataError
from kefu.evaluate.datafiles import read_intents
from kefu.knowledge.embeddings import HashEmbedder

FIX = Path(__file__).parents[2] / "fixtures" / "evaluate"


@pytest.fixture(scope="module")
def data():
    return read_intents(FIX / "intents_train.csv"), read_intents(FIX / "intents_test.csv")


@pytest.mark.parametrize("method", ["logreg", "centroid"])
def test_fit_predict_on_fixture(data, method):
    (tr, trl), (te, tel) = data
    clf = IntentClassifier(HashEmbedder(256), method=method).fit(tr, trl)
    preds = clf.predict(te)
    assert all(isinstance(p, IntentPrediction) for p in preds)
    acc = np.mean([p.label == g for p, g in zip(preds, tel, strict=True)])
    assert acc >= 0.75, (method, [(p.label, g) for p, g in zip(preds, tel, strict=True)])
    p = preds[0]
    assert set(p.scores) == {"order_status", "refund", "change_address"}
    assert p.score == max(p.scores.values()) and sum(p.scores.values()) == pytest.approx(1.0, abs=1e-5)
    assert p.oos_score == pytest.approx(1 - p.score)


def test_auto_picks_centroid_for_few_shots_and_logreg_for_more(data):
    (tr, trl), _ = data
    assert IntentClassifier(HashEmbedder(64)).fit(tr, trl).fitted_method == "logreg"  # >= 5 per intent
    few = IntentClassifier.from_examples({"a": ["apple pie"], "b": ["bus stop"]}, embedder=HashEmbedder(64))
    assert few.fitted_method == "centroid" and few.threshold == 0.0  # nothing held out: never OOS


def test_threshold_flags_out_of_scope(data):
    (tr, trl), _ = data
    clf = IntentClassifier(HashEmbedder(4096), method="centroid", threshold=0.9).fit(tr, trl)
    on, off = clf.predict(["where is my order", "zebra xylophone quantum"])
    assert not on.out_of_scope and on.label == "order_status"
    assert off.out_of_scope and off.score < 0.9  # unrelated words: a flat distribution


def test_estimated_threshold_is_a_probability(data):
    (tr, trl), _ = data
    clf = IntentClassifier(HashEmbedder(256), method="logreg").fit(tr, trl)
    assert 0.0 < clf.threshold < 1.0


def test_save_load_roundtrip(tmp_path, data):
    (tr, trl), (te, _) = data
    for method in ("logreg", "centroid"):
        clf = IntentClassifier(HashEmbedder(128), method=method).fit(tr, trl)
        clf.save(tmp_path / method)
        back = IntentClassifier.load(tmp_path / method)  # rebuilds hash-128 from the saved id
        a, b = clf.predict(te), back.predict(te)
        assert [p.label for p in a] == [p.label for p in b]
        assert [p.score for p in a] == pytest.approx([p.score for p in b], abs=1e-6)
        assert back.threshold == clf.threshold
    with pytest.raises(ConfigError, match="fitted on hash-128"):
        IntentClassifier.load(tmp_path / "logreg", embedder=HashEmbedder(64))
    with pytest.raises(DataError, match="not a saved intent classifier"):
        IntentClassifier.load(tmp_path / "missing")


def test_binary_logreg_and_bad_input():
    clf = IntentClassifier(HashEmbedder(64), method="logreg").fit(
        ["yes please", "yes sure", "yes ok", "no thanks", "no way", "no never"], ["y"] * 3 + ["n"] * 3)
    assert clf.predict(["yes"])[0].label == "y" and clf.predict(["no"])[0].label == "n"
    with pytest.raises(DataError, match="two intents"):
        IntentClassifier(HashEmbedder(64)).fit(["a", "b"], ["x", "x"])
    with pytest.raises(ConfigError):
        IntentClassifier(method="svm")
