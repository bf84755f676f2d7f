"""Fixtures for knowledge tests: shipped text fixtures plus binary ones (pdf, docx, xlsx)
generated in-process, and a knowledge base on the fast hashing embedder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kefu.testing.kb_fixtures import make_docx, make_pdf, make_xlsx

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "knowledge" / "docs"



@pytest.fixture
def docs_dir(tmp_path: Path) -> Path:
    d = tmp_path / "docs"
    shutil.copytree(FIXTURES, d)
    make_pdf(d / "manual.pdf", ["Press the power button for five seconds to reset the router.",
                                "The warranty card is inside the box."])
    make_docx(d / "payment.docx")
    make_xlsx(d / "faq2.xlsx")
    return d


@pytest.fixture
def settings(tmp_path: Path):
    from kefu.config import load_settings

    return load_settings(None, data_dir=str(tmp_path / "data"), knowledge={"embedder": "hash-512"})


@pytest.fixture
def registry(settings):
    from kefu.knowledge.registry import KnowledgeBaseRegistry

    reg = KnowledgeBaseRegistry(settings)
    yield reg
    reg.close()
