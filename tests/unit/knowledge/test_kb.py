from __future__ import annotations

from pathlib import Path

import pytest

from kefu.errors import ConfigError
from kefu.knowledge.answer import answer, language
from kefu.llm.base import Message
from kefu.llm.fake import FakeLLM


def test_ingest_summary_and_incremental_reingest(registry, docs_dir: Path):
    kb = registry.create("shop")
    (docs_dir / "empty.txt").write_bytes(b"")
    s = kb.add([docs_dir])
    assert s.added == 8 and s.chunks > 10 and [Path(e.source).name for e in s.errors] == ["empty.txt"]
    before = kb.stats()
    assert before["vectors"] == before["chunks"] + before["faq_questions"]
    again = kb.add([docs_dir])
    assert again.skipped == 8 and again.added == again.replaced == again.chunks == 0
    assert kb.stats()["version"] == before["version"]
    # change one file: its chunks are replaced, nothing else moves
    (docs_dir / "warranty.txt").write_text("Warranty\n\nThe warranty now lasts two years.", encoding="utf-8")
    s3 = kb.add([docs_dir / "warranty.txt"])
    assert s3.replaced == 1 and s3.chunks == 1
    texts = [h.text for h in kb.search("warranty years", k=10)]
    assert any("two years" in t for t in texts) and not any("one-year" in t for t in texts)
    assert kb.stats()["vectors"] == kb.stats()["chunks"] + kb.stats()["faq_questions"]
    # remove
    assert kb.remove(str(docs_dir / "warranty.txt")) and not kb.remove("nope.txt")
    assert not any("two years" in h.text for h in kb.search("warranty years", k=10))
    assert kb.stats()["documents"] == 7


def test_interrupted_ingest_leaves_no_half_document(registry, settings, docs_dir: Path, monkeypatch):
    from kefu.knowledge.kb import KnowledgeBase
    from kefu.knowledge.manifest import Manifest

    kb = registry.create("crash")
    kb.add([docs_dir / "returns.md"])
    n = kb.stats()["vectors"]

    def boom(self, rec):  # dies after vectors were written, before the manifest commit
        raise KeyboardInterrupt

    monkeypatch.setattr(Manifest, "commit_document", boom)
    with pytest.raises(KeyboardInterrupt):
        kb.add([docs_dir / "warranty.txt"])
    assert kb.stats()["vectors"] > n  # the half document is in the store ...
    assert not any("warranty" in h.text.lower() for h in kb.search("warranty manufacturer", k=10))  # ... never found
    monkeypatch.undo()
    reopened = KnowledgeBase("crash", kb.dir.parent, kb.embedder, settings.knowledge)
    assert reopened.stats()["vectors"] == n and reopened.manifest.orphan_keys() == []
    assert reopened.add([docs_dir / "warranty.txt"]).added == 1


def test_mismatched_embedder_is_refused(registry, settings, docs_dir: Path):
    from kefu.knowledge.embeddings import HashEmbedder
    from kefu.knowledge.kb import KnowledgeBase

    kb = registry.create("emb")
    kb.add([docs_dir / "warranty.txt"])
    with pytest.raises(ConfigError, match="hash-512.*hash-128"):
        KnowledgeBase("emb", kb.dir.parent, HashEmbedder(128), settings.knowledge)


@pytest.mark.parametrize("query,expected", [
    ("退货运费谁承担", "退货运费由买家承担"),
    ("how long does express delivery take", "Express delivery"),
    ("积分怎么抵扣现金", "100积分抵1元"),
    ("reset the router", "power button"),
    ("分期付款免息", "十二期免息"),
])
def test_zh_and_en_retrieval(registry, docs_dir: Path, query, expected):
    kb = registry.create("ret")
    kb.add([docs_dir])
    hits = kb.search(query, k=3)
    assert expected in hits[0].text, [h.text[:40] for h in hits]
    assert hits[0].reason in ("both", "bm25", "dense") and hits[0].score > 0


def test_hits_carry_metadata_and_filters(registry, docs_dir: Path):
    kb = registry.create("meta")
    kb.add([docs_dir])
    pdf = str((docs_dir / "manual.pdf").resolve())
    hits = kb.search("warranty", k=5, where={"source": pdf})
    assert hits and all(h.source == pdf for h in hits) and {h.page for h in hits} <= {1, 2}
    hits = kb.search("退款", k=2)
    assert hits[0].heading_path == ("售后服务", "退款时间") and "售后服务 > 退款时间" in hits[0].citation
    assert set(hits[0].to_dict()) >= {"score", "reason", "source", "page"}
    for mode in ("dense", "bm25"):
        assert all(h.reason == mode for h in kb.search("退款", k=3, mode=mode))


def test_faq_direct_answer_on_question_and_paraphrase(registry, docs_dir: Path):
    kb = registry.create("faq")
    kb.add([docs_dir])
    hit = kb.faq_match("如何修改登录密码？")
    assert hit is not None and hit.reason == "faq" and "账号安全" in hit.text
    hit = kb.faq_match("Can I change the shipping address")
    assert hit is not None and "Edit address" in hit.text
    assert kb.faq_match("what is the weather tomorrow") is None
    res = answer("可以货到付款吗", [], FakeLLM(), kb)
    assert res.faq and "在线支付" in res.result()


def test_grounded_answer_with_citations_and_exact_prompt(registry, docs_dir: Path):
    kb = registry.create("ans")
    kb.add([docs_dir])
    llm = FakeLLM().enqueue("退货运费由买家承担 [1]，质量问题除外 [9]。")
    res = answer("退货运费谁承担？", [Message("user", "你好"), Message("assistant", "您好")], llm, kb,
                 persona="你是鹿鸣家居的客服。")
    assert not res.abstained and res.result().startswith("退货运费")
    assert list(res.citations) == [1] and "退货运费由买家承担" in res.citations[1].text  # [9] points nowhere
    sent = llm.requests[0].messages
    assert list(sent) == res.prompt and sent[-1].content == "退货运费谁承担？" and sent[1].content == "你好"
    assert "[1] (" in sent[0].content and "退货运费由买家承担" in sent[0].content
    assert sent[0].content.startswith("你是鹿鸣家居的客服。")  # the persona opens the system message


@pytest.mark.parametrize("question,lang", [("你们公司的股票代码是多少？", "zh"),
                                           ("What is the CEO's favourite colour?", "en")])
def test_abstains_without_calling_the_llm(registry, docs_dir: Path, question, lang):
    kb = registry.create("abs")
    kb.add([docs_dir])
    llm = FakeLLM()
    res = answer(question, [], llm, kb)
    assert res.abstained and llm.requests == [] and res.sources == []
    assert language(question) == lang
    assert ("知识库" in res.result()) if lang == "zh" else ("could not find this in the knowledge base" in res.result())


def test_registry_names_and_delete(registry):
    from kefu.errors import InvalidRequestError
    from kefu.knowledge.registry import KnowledgeBaseExists, KnowledgeBaseNotFound

    registry.create("a")
    registry.create("b")
    assert registry.names() == ["a", "b"]
    with pytest.raises(KnowledgeBaseExists):
        registry.create("a")
    registry.delete("a")
    assert registry.names() == ["b"]
    with pytest.raises(KnowledgeBaseNotFound):
        registry.open("a")
    with pytest.raises(InvalidRequestError):
        registry.create("Bad Name!")


def test_prompt_fits_small_context(registry, docs_dir: Path):
    from kefu.llm.base import SamplingParams

    kb = registry.create("ctx")
    kb.add([docs_dir])
    q = "退货运费和退款时间？"
    history = [Message("user", "旧问题 " * 40), Message("assistant", "旧回答 " * 40)]
    big = FakeLLM(context_length=4096).enqueue("ok [1]")
    full = answer(q, history, big, kb, k=5, params=SamplingParams(max_tokens=50))
    assert full.prompt[1] == history[0] and len(full.sources) >= 2
    from kefu.knowledge.answer import build_prompt

    one = big.prompt_tokens(build_prompt(q, [], full.sources[:1], "zh"))  # room for one source, no history
    small = FakeLLM(context_length=one + 50 + 5).enqueue("ok [1]")
    res = answer(q, history, small, kb, k=5, params=SamplingParams(max_tokens=50))
    res.result()
    sent = small.requests[0].messages
    assert small.prompt_tokens(sent) <= one + 5 and sent == res.prompt
    assert history[0] not in sent and sent[-1].content == q  # history went first
    assert 1 <= len(res.sources) < len(full.sources)  # then the weakest sources
