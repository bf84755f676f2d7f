"""One conformance suite, three vector stores: embedded Chroma, a real Chroma server started
here with `chroma run` on loopback, and milvus-lite (a local .db file). No mocks."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from kefu.testing.vector_store import CHECKS

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory):
    import socket

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    chroma = Path(sys.executable).parent / "chroma"
    proc = subprocess.Popen([str(chroma), "run", "--path", str(tmp_path_factory.mktemp("chroma-srv")),
                             "--port", str(port), "--host", "127.0.0.1"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 60
    while True:
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.time() > deadline or proc.poll() is not None:
            proc.kill()
            raise RuntimeError("chroma server did not start")
        time.sleep(0.2)
    yield url
    proc.terminate()
    proc.wait(10)


@pytest.fixture(scope="module", params=["chroma", "chroma-http", "milvus"])
def make_store(request, tmp_path_factory):
    from kefu.knowledge.stores import open_store

    data_dir = tmp_path_factory.mktemp(f"store-{request.param}")
    url = request.getfixturevalue("chroma_server") if request.param == "chroma-http" else None
    return lambda name, dim: open_store(request.param, name, dim, url=url, data_dir=data_dir)


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_store_conforms(make_store, check):
    check(make_store)


def test_knowledge_base_on_each_store(make_store, tmp_path):
    """The knowledge base layer (role/doc_key filters, replace, remove, FAQ) on every backend."""
    from kefu.config import KnowledgeSettings
    from kefu.knowledge.embeddings import HashEmbedder
    from kefu.knowledge.kb import KnowledgeBase

    emb = HashEmbedder(64)
    name = f"kb_{tmp_path.name[-8:].replace('-', '_')}"
    store, faq_store = make_store(name, emb.dim), make_store(f"{name}_faq", emb.dim)
    kb = KnowledgeBase("k", tmp_path, emb, KnowledgeSettings(chunk_tokens=32, chunk_overlap=4), store=store,
                       faq_store=faq_store)
    doc = tmp_path / "a.md"
    doc.write_text("# 退货\n\n七天无理由退货，运费买家承担。\n\n# Shipping\n\nOrders ship in two days.", encoding="utf-8")
    faq = tmp_path / "f.jsonl"
    faq.write_text('{"question": "怎么改密码", "answer": "在设置里修改。", "paraphrases": ["忘记密码"]}\n', encoding="utf-8")
    assert kb.add([doc, faq]).added == 2
    assert "运费买家承担" in kb.search("退货运费", k=1)[0].text
    assert kb.faq_match("忘记密码").text == "在设置里修改。"
    doc.write_text("# Shipping\n\nOrders now ship in one day.", encoding="utf-8")
    assert kb.add([doc]).replaced == 1
    assert all("退货" not in h.text for h in kb.search("退货运费", k=5))
    assert kb.remove(str(doc.resolve()))
    assert kb.stats()["vectors"] == 3 and kb.stats()["chunks"] == 1
    assert store.count() == 1 and faq_store.count() == 2
    kb.drop()
