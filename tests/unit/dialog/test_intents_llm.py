"""Optional LLM intent classification (LLMIntents) and the assistant's prompt settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from kefu.dialog.assistant import Assistant
from kefu.dialog.intents import IntentClassifier, IntentPrediction, LLMIntents
from kefu.errors import BackendError, ConfigError, InvalidRequestError
from kefu.knowledge.embeddings import HashEmbedder
from kefu.llm.fake import FakeLLM

EXAMPLES = {
    "order_status": ["where is my order", "has my parcel shipped yet", "track my package please"],
    "returns_refund": ["I want my money back", "refund please", "how do I return this item"],
    "human": ["let me talk to a real person", "I want a human agent", "connect me to staff"],
}
CLEAR, UNSURE = "where is my order", "zebra xylophone quantum"


@pytest.fixture(scope="module")
def clf():
    return IntentClassifier.from_examples(EXAMPLES, embedder=HashEmbedder(4096), method="centroid", threshold=0.9)


class BrokenLLM(FakeLLM):
    def stream(self, request, cancel=None):
        raise BackendError("server down")


def test_only_unsure_turns_ask_the_llm_with_retrieved_examples(clf):
    llm = FakeLLM(["Returns refund"])
    sure, unsure = LLMIntents(clf, llm, EXAMPLES, k=4, per_label=2).predict([CLEAR, UNSURE])
    assert isinstance(sure, IntentPrediction) and (sure.label, sure.by, sure.out_of_scope) == ("order_status",
                                                                                               "embedding", False)
    assert len(llm.requests) == 1, "a confident prediction costs no LLM call"
    assert (unsure.label, unsure.by, unsure.out_of_scope) == ("returns_refund", "llm", False)
    assert unsure.score == unsure.scores["returns_refund"] and set(unsure.scores) == set(EXAMPLES)
    msgs = llm.requests[0].messages
    assert "- returns refund" in msgs[0].content and "- human" in msgs[0].content
    assert len(msgs) == 1 + 2 * 4 + 1 and msgs[-1].content == f"Message: {UNSURE}\nIntent:"
    shown = [m.content for m in msgs[2:-1:2]]  # demonstrations answer with label words
    assert set(shown) <= {"order status", "returns refund", "human"} and max(shown.count(w) for w in shown) <= 2


@pytest.mark.parametrize("llm", [FakeLLM(["I have no idea"]), BrokenLLM()], ids=["no-label", "llm-error"])
def test_falls_back_to_the_embedding_prediction(clf, llm):
    plain = clf.predict([UNSURE])[0]
    got = LLMIntents(clf, llm, EXAMPLES).predict([UNSURE])[0]
    assert got == plain and got.out_of_scope and got.by == "embedding"


def test_precomputed_vectors_are_used_and_checked(clf):
    texts = [t for ts in EXAMPLES.values() for t in ts]
    vectors = clf.embed(texts)
    intents = LLMIntents(clf, FakeLLM(["human"]), EXAMPLES, k=1, vectors=vectors)
    assert intents.bank._matrix() is intents.bank._vectors and intents.predict([UNSURE])[0].label == "human"
    with pytest.raises(InvalidRequestError, match="2 vectors for 9 examples"):
        LLMIntents(clf, FakeLLM(), EXAMPLES, vectors=vectors[:2])


def test_assistant_acts_on_the_llm_intent(parts, clf):
    a, store, llm, _ = parts
    llm.enqueue("human")  # the intent; the handoff reply is canned
    bot = Assistant(llm=llm, store=store, settings=a.settings, intents=LLMIntents(clf, llm, EXAMPLES), kb=a.kb,
                    orders=a.orders, pre=a.pre)
    conv = store.create_conversation().id
    meta = next(iter(bot.reply(conv, UNSURE))).data
    assert (meta["intent"], meta["policy"]) == ("human", "handoff")


def test_assistant_sends_persona_and_worked_examples_from_settings(parts):
    a, store, llm, _ = parts
    ds = a.settings.model_copy(update={"persona_en": "You are Zed from Lumo Home.", "prompt_examples": True})
    bot = Assistant(llm=llm, store=store, settings=ds, intents=a.intents, kb=a.kb, orders=a.orders, pre=a.pre)
    llm.enqueue("Items can be returned within 30 days of delivery [1].")
    conv = store.create_conversation().id
    list(bot.reply(conv, "Can I return an item I bought?"))
    sent = llm.requests[-1].messages
    demos = bot.prompts.get("answer", "en").examples
    assert sent[0].content.startswith("You are Zed from Lumo Home. Answer")
    assert [m.content for m in sent[2:5:2]] == [d.output for d in demos] and sent[-1].role == "user"
    assert store.get_message(store.messages(conv)[-1].id).prompt == [m.to_dict() for m in sent]


def test_a_bad_prompts_file_stops_the_assistant_with_the_file_named(parts, tmp_path: Path):
    a, store, llm, _ = parts
    bad = tmp_path / "my-prompts.yaml"
    bad.write_text("answer:\n  en:\n    instructions: typo\n", encoding="utf-8")
    ds = a.settings.model_copy(update={"prompts_file": str(bad)})
    with pytest.raises(ConfigError, match=r"my-prompts\.yaml: invalid prompt template .*answer\.en\.instructions"):
        Assistant(llm=llm, store=store, settings=ds, intents=a.intents, kb=a.kb)


def test_build_services_wires_the_settings(tmp_path: Path):
    from kefu.config import load_settings
    from kefu.dialog.defaults import load_intents
    from kefu.dialog.setup import build_services

    bad = tmp_path / "bad.yaml"
    bad.write_text("answer: [1]\n", encoding="utf-8")
    common = {"data_dir": str(tmp_path / "data"), "knowledge": {"embedder": "hash-256"}}
    with pytest.raises(ConfigError, match=r"bad\.yaml: 'answer' is not a mapping"):
        build_services(load_settings(None, **common, dialog={"load_demo": False, "prompts_file": str(bad)}), FakeLLM())
    plain = build_services(load_settings(None, **common, dialog={"load_demo": False}), FakeLLM())
    assert isinstance(plain.assistant.intents, IntentClassifier)
    plain.registry.close()
    svc = build_services(load_settings(None, **common, dialog={"load_demo": False, "intent_llm": True,
                                                               "intent_llm_shots": 3}), FakeLLM())
    intents = svc.assistant.intents
    n = sum(len(v) for v in load_intents(tmp_path / "data").values())
    assert isinstance(intents, LLMIntents) and intents.k == 3 and intents.bank._vectors.shape[0] == n
    svc.registry.close()
