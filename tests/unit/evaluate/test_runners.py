import json

import pytest

from kefu.evaluate.answer import clean_reply, evaluate_answers, is_abstention
from kefu.evaluate.datafiles import (
    read_documents,
    read_intents,
    read_preferences,
    read_retrieval_queries,
    read_squad,
)
from kefu.evaluate.intent import evaluate_intents, sample_shots
from kefu.evaluate.retrieval import EmbeddingRetriever, SearchAdapter, evaluate_retrieval
from kefu.evaluate.reward import RewardScorer, evaluate_reward_model
from kefu.knowledge.embeddings import HashEmbedder
from kefu.llm.fake import FakeLLM


def test_intent_runner_report(tmp_path, fixtures_dir):
    te, tel = read_intents(fixtures_dir / "intents_test.csv")
    res = evaluate_intents(te, tel, embedder=HashEmbedder(256), train=read_intents(fixtures_dir / "intents_train.csv"),
                           method="centroid", cache_dir=tmp_path / "cache")
    assert res.scores["accuracy"] >= 0.75
    assert res.scores["summary"]["macro F1"] == pytest.approx(res.scores["macro"]["f1"])
    assert 0.5 < res.scores["summary"]["macro ROC-AUC (one-vs-rest)"] <= 1.0
    paths = res.report.write(tmp_path / "out")
    data = json.loads(paths["json"].read_text())
    assert data["meta"]["training examples"] == 24 and data["meta"]["method"] == "centroid"
    assert {"confusion", "confidence"} <= set(data["figures"])
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 2  # train and test vectors cached


def test_intent_runner_holdout_shots_and_oos(fixtures_dir):
    tr, trl = read_intents(fixtures_dir / "intents_train.csv")
    t, lab = sample_shots(tr, trl, 2, seed=1)
    assert len(t) == 6 and sorted(set(lab)) == ["change_address", "order_status", "refund"]
    texts = tr + ["zebra quantum violin", "purple elephant sky"] * 3
    labels = trl + ["oos", "oos"] * 3
    res = evaluate_intents(texts, labels, embedder=HashEmbedder(512), train=(texts, labels), oos_label="oos",
                           method="centroid", shots=4)
    assert "oos" not in res.classifier.labels and "oos_detection" in res.scores
    held = evaluate_intents(tr, trl, embedder=HashEmbedder(256))  # no train: 20% held out
    assert held.report.meta["test examples"] == 5 and "held out" in held.report.meta["split"]


def test_retrieval_in_memory_and_adapter(fixtures_dir):
    emb = HashEmbedder(512)
    r = EmbeddingRetriever(emb, read_documents(fixtures_dir / "docs.jsonl"))
    queries = read_retrieval_queries(fixtures_dir / "queries.jsonl")
    res = evaluate_retrieval(r, queries, k=3)
    assert res.rankings[0][0] == "refund" and res.rankings[3][0] == "refund"  # 退货政策 shares characters
    assert res.scores["hit@3"] == 1.0 and 0 < res.scores["mrr"] <= 1
    fixed = SearchAdapter(lambda q, k: [{"source": "x"}, {"source": "refund"}, {"source": "x"}], id_field="source")
    s = evaluate_retrieval(fixed, [("q", {"refund"})], k=3).scores
    assert s["hit@1"] == 0.0 and s["mrr"] == 0.5


def test_answer_runner_with_fake_llm(fixtures_dir):
    items = read_squad(fixtures_dir / "squad_small.json")
    llm = FakeLLM().enqueue("39 dollars.", "Answer: two year warranty", "unanswerable", "It is blue")
    res = evaluate_answers(llm, items)
    s = res.scores
    assert s["has_answer_exact_match"] == 0.5
    assert s["has_answer_f1"] == pytest.approx((1 + 0.8) / 2)  # "two year warranty" vs "two year": 2*2/3*1/(5/3)
    assert s["abstention_recall"] == 0.5 and s["abstention_precision"] == 1.0
    assert s["exact_match"] == pytest.approx(2 / 4)  # q1 and q3
    assert s["grounded"] == pytest.approx(2 / 3)  # "it is blue" is not in the passage
    sent = llm.requests[0].messages
    assert sent[0].role == "system" and "Lumen kettle costs 39 dollars" in sent[1].content
    assert is_abstention("I think the passage does not contain it") and clean_reply('"Paris".\nmore') == "Paris"


def test_reward_runner_on_tiny_model(tiny_reward_dir, fixtures_dir, tmp_path):
    pairs = read_preferences(fixtures_dir / "prefs.jsonl")
    res = evaluate_reward_model(tiny_reward_dir, pairs, batch_size=2)
    assert res.scores["n"] == 3 and len(res.chosen) == 3
    # scores must match scoring each text alone (padding does not change a reward)
    scorer = RewardScorer(tiny_reward_dir)
    alone = scorer.score([scorer.text(pairs[0].prompt, pairs[0].chosen)])[0]
    assert res.chosen[0] == pytest.approx(alone, abs=1e-4)
    expected = sum(c > r for c, r in zip(res.chosen, res.rejected, strict=True)) / 3
    assert res.scores["accuracy"] == pytest.approx(expected)
    res.report.write(tmp_path)
    assert (tmp_path / "figures" / "margins.png").exists()
