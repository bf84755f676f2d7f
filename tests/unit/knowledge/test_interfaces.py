"""The CLI (`kefu kb ...`) and the REST routes (/v1/kb, /v1/embeddings) on the hashing embedder."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner


@pytest.fixture
def env(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("KEFU_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KEFU_KNOWLEDGE__EMBEDDER", "hash-128")
    monkeypatch.chdir(tmp_path)


def test_cli_flow(env, docs_dir: Path):
    from kefu.cli.main import app

    run = CliRunner().invoke
    assert run(app, ["kb", "create", "s"]).exit_code == 0
    r = run(app, ["kb", "create", "s"])
    assert r.exit_code == 2 and "already exists" in r.output
    r = run(app, ["kb", "add", "s", str(docs_dir), str(docs_dir / "nope.md")])
    assert r.exit_code == 0 and "added 8" in r.output and "nope.md: no such file" in r.output
    assert "skipped 8" in run(app, ["kb", "add", "s", str(docs_dir)]).output
    r = run(app, ["kb", "search", "s", "怎么改密码", "--json"])
    out = json.loads(r.output)
    assert "账号安全" in out["faq"]["text"] and out["hits"][0]["reason"] in ("both", "dense", "bm25")
    r = run(app, ["kb", "search", "s", "reset the router", "-k", "1"])
    assert "manual.pdf" in r.output and "(p. 1)" in r.output
    assert "documents      8" in run(app, ["kb", "stats", "s"]).output
    r = run(app, ["kb", "ask", "s", "退款时间是多久", "--model", "fake", "--show-prompt"])
    assert r.exit_code == 0 and "returns.md > 售后服务 > 退款时间" in r.output  # the fake echoes; prompt shown
    r = run(app, ["kb", "ask", "s", "Who founded the company?", "--model", "fake"])
    assert "could not find this in the knowledge base" in r.output
    assert run(app, ["kb", "list"]).output.split() == ["s"]
    assert run(app, ["kb", "remove", "s", str(docs_dir / "faq.csv")]).exit_code == 0
    assert run(app, ["kb", "remove", "s", "ghost.md"]).exit_code == 1
    assert run(app, ["kb", "delete", "s", "--yes"]).exit_code == 0
    r = run(app, ["kb", "search", "s", "x"])
    assert r.exit_code == 2 and "no knowledge base named 's'" in r.output


def test_every_command_has_an_example():
    from kefu.cli.kb import app

    for cmd in app.registered_commands:
        assert "Example" in (cmd.callback.__doc__ or ""), cmd.callback.__name__


def test_rest_routes(env, docs_dir: Path):
    from fastapi.testclient import TestClient

    from kefu.config import load_settings
    from kefu.llm.fake import FakeLLM
    from kefu.server.app import create_app

    with TestClient(create_app(load_settings(None), FakeLLM())) as c:
        r = c.post("/v1/embeddings", json={"input": ["退货", "refund"], "model": "hash-128"}).json()
        assert len(r["data"]) == 2 and len(r["data"][0]["embedding"]) == 128
        b = c.post("/v1/embeddings", json={"input": "refund", "encoding_format": "base64"}).json()
        vec = np.frombuffer(base64.b64decode(b["data"][0]["embedding"]), "<f4")
        assert np.allclose(vec, r["data"][1]["embedding"], atol=1e-6)
        assert c.post("/v1/embeddings", json={"input": "x", "model": "gpt-4"}).status_code == 404
        assert c.post("/v1/kb", json={"name": "web"}).status_code == 201
        assert c.post("/v1/kb", json={"name": "Bad Name"}).status_code == 400
        up = c.post("/v1/kb/web/documents", files=[("files", ("faq.csv", (docs_dir / "faq.csv").read_bytes())),
                                                   ("files", ("empty.txt", b""))]).json()
        assert up["added"] == 1 and up["errors"][0]["source"].endswith("empty.txt")
        paths = c.post("/v1/kb/web/documents", json={"paths": [str(docs_dir / "returns.md")]}).json()
        assert paths["added"] == 1
        hits = c.post("/v1/kb/web/search", json={"query": "退款时间", "k": 2}).json()["data"]
        assert "三个工作日" in hits[0]["text"] and hits[0]["heading_path"] == ["售后服务", "退款时间"]
        where = {"source": str((docs_dir / "returns.md").resolve())}
        assert c.post("/v1/kb/web/search", json={"query": "密码", "where": where}).json()["data"][0]["source"] == \
            where["source"]
        assert c.post("/v1/kb/web/search", json={"query": ""}).status_code == 400
        assert c.get("/v1/kb/web").json()["documents"] == 2
        assert c.request("DELETE", "/v1/kb/web/documents", params={"source": "ghost"}).status_code == 400
        assert "web" in [k["name"] for k in c.get("/v1/kb").json()["data"]]  # other add-ons may add their own
        assert c.delete("/v1/kb/web").status_code == 200
        assert c.get("/v1/kb/web").status_code == 404
