"""Task heads: classifier and NER on the tiny encoder; label alignment; the loader API."""

from transformers import AutoTokenizer

from kefu.train.heads import Entity, load_classifier, load_tagger
from kefu.train.runner import run_stage
from kefu.train.task_heads import IGNORE, align_labels


def test_ner_labels_go_on_the_first_sub_token_only(tiny_encoder_dir):
    tok = AutoTokenizer.from_pretrained(tiny_encoder_dir)
    words = ["order", "1234567890", "late"]  # the number splits into several sub-tokens
    enc = tok(words, is_split_into_words=True)
    wids = enc.word_ids()
    labels = align_labels(wids, [0, 7, 0])
    assert wids.count(1) > 1
    first = wids.index(1)
    assert labels[first] == 7
    assert all(lab == IGNORE for i, lab in enumerate(labels) if wids[i] == 1 and i != first)
    assert all(lab == IGNORE for i, lab in enumerate(labels) if wids[i] is None)
    assert [lab for lab in labels if lab != IGNORE] == [0, 7, 0]


def test_classifier_trains_and_loads(tiny_encoder_dir, tmp_path, make_cfg):
    out = tmp_path / "intent"
    s = run_stage(make_cfg("classifier", tiny_encoder_dir, "intents.csv", out, peft={"method": "full"},
                           train={"max_steps": 4, "learning_rate": 5e-3}))
    m = s["metrics"]
    assert 0.0 <= m["eval_accuracy"] <= 1.0 and "eval_macro_f1" in m
    assert m["labels"] == ["greeting", "order_status", "refund"]
    preds = load_classifier(out).predict(["where is my parcel", "hi"])
    assert len(preds) == 2 and all(p.label in m["labels"] and 0 < p.score <= 1 for p in preds)


def test_ner_trains_and_tags(tiny_encoder_dir, tmp_path, make_cfg):
    out = tmp_path / "slots"
    s = run_stage(make_cfg("ner", tiny_encoder_dir, "slots.jsonl", out, peft={"method": "full"},
                           train={"max_steps": 4, "learning_rate": 5e-3}))
    assert 0.0 <= s["metrics"]["eval_f1"] <= 1.0 and s["metrics"]["labels"] == ["B-ORDER", "O"]
    tagger = load_tagger(out)
    tags = tagger.tags(["my", "order", "12345", "is", "late"])
    assert len(tags) == 5 and set(tags) <= {"B-ORDER", "O"}
    assert all(isinstance(e, Entity) for e in tagger.predict("where is 12345"))
