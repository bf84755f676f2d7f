"""The evaluation runners on kefu's real bundled models (e5-small embeddings, SmolLM2 GGUF)."""

import json
from pathlib import Path

import pytest

from kefu.dialog.intents import IntentClassifier
from kefu.evaluate.answer import evaluate_answers
from kefu.evaluate.datafiles import read_intents, read_squad
from kefu.evaluate.intent import evaluate_intents

pytestmark = pytest.mark.integration
FIX = Path(__file__).parents[2] / "fixtures" / "evaluate"


@pytest.fixture(scope="module")
def e5():
    from kefu.knowledge.embeddings import load_embedder

    return load_embedder("default")


def test_e5_intent_classifier_bilingual(e5, tmp_path):
    tr, trl = read_intents(FIX / "intents_train.csv")
    te, tel = read_intents(FIX / "intents_test.csv")
    res = evaluate_intents(te, tel, embedder=e5, train=(tr, trl))
    assert res.scores["accuracy"] >= 0.875, res.report.tables["Errors"]
    clf = res.classifier
    zh = clf.predict(["我想退钱", "快递到哪里了"])
    assert [p.label for p in zh] == ["refund", "order_status"]
    clf.save(tmp_path / "clf")
    back = IntentClassifier.load(tmp_path / "clf", embedder=e5)
    assert [p.label for p in back.predict(te)] == [p.label for p in clf.predict(te)]


def test_e5_few_shot_centroid(e5):
    clf = IntentClassifier.from_examples(
        {"refund": ["I want my money back"], "order_status": ["where is my parcel"],
         "greeting": ["hello there"]}, embedder=e5)
    assert clf.fitted_method == "centroid"
    assert [p.label for p in clf.predict(["please refund me", "has my package shipped", "hi!"])] == [
        "refund", "order_status", "greeting"]


def test_answer_eval_with_bundled_llm(default_llm, tmp_path):
    res = evaluate_answers(default_llm, read_squad(FIX / "squad_small.json"), max_tokens=16)
    s = res.scores
    assert s["errors"] == 0 and all(r["reply"].strip() for r in res.rows)
    assert 0.0 <= s["exact_match"] <= 1.0 and 0.0 <= s["has_answer_f1"] <= 1.0
    paths = res.report.write(tmp_path)
    assert json.loads(paths["json"].read_text())["meta"]["model"] == default_llm.model_id
