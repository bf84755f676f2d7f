"""Real store, real knowledge base (hashing embedder: fast, deterministic), real demo orders
database, scripted LLM and a keyword intent classifier: every policy branch without a model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from kefu.config import load_settings
from kefu.dialog.assistant import Assistant
from kefu.dialog.rules import PreRules
from kefu.llm.fake import FakeLLM


@dataclass
class Pred:
    label: str
    score: float
    out_of_scope: bool = False


class KeywordIntents:
    """Scripted intent classifier: the first keyword found decides (test double)."""

    RULES = [("human", ("human", "人工", "real person")), ("complaint", ("terrible", "angry", "投诉")),
             ("order_status", ("where is my order", "order status", "订单", "my orders")),
             ("recommendation", ("recommend", "推荐")), ("greeting", ("hello", "hi ", "你好", "thanks")),
             ("out_of_scope", ("weather", "poem")), ("returns_refund", ("return", "refund", "退货"))]

    def predict(self, texts):
        out = []
        for t in texts:
            low = t.lower() + " "
            label = next((lab for lab, kws in self.RULES if any(k in low for k in kws)), "product_question")
            out.append(Pred(label, 0.9))
        return out


DOCS = {
    "returns.md": "# Returns\n\nYou can return any item within 30 days of delivery for a full refund. "
                  "Return shipping is free for members.\n",
    "kettle.md": "# SmartTemp Kettle\n\n## Warranty\n\nThe SmartTemp kettle has a two-year warranty.\n\n"
                 "## Colours\n\nThe kettle comes in white and sage green.\n",
    "faq.csv": "question,answer,paraphrases\nHow long does shipping take?,Orders arrive in 3 to 5 days.,"
               "when will my parcel arrive|delivery time\n",
}


@pytest.fixture()
def parts(tmp_path: Path):
    from kefu.demo import build_orders_db
    from kefu.knowledge.registry import KnowledgeBaseRegistry
    from kefu.store import open_store
    from kefu.tools.sqldb import ReadOnlyDB

    settings = load_settings(None, data_dir=str(tmp_path), knowledge={"embedder": "hash-256"})
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    registry = KnowledgeBaseRegistry(settings)
    kb = registry.get_or_create("default")
    kb.add([docs])
    store = open_store(settings)
    orders = ReadOnlyDB.from_url(str(build_orders_db(tmp_path / "orders.db")))
    llm = FakeLLM(model_id="fake")
    events: list[tuple[str, dict]] = []
    assistant = Assistant(llm=llm, store=store, settings=settings.dialog, intents=KeywordIntents(), kb=kb,
                          orders=orders, pre=PreRules(spelling={"kettle": ["kettel"]}),
                          notify=lambda cid, ev: events.append((cid, ev)))
    yield assistant, store, llm, events
    registry.close()
