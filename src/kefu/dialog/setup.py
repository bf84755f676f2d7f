"""Build the Assistant from settings: the one place that wires store, knowledge base, intents,
orders database and model together (the server calls it once at startup; tests build the parts
themselves with fakes)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kefu.config import Settings
from kefu.dialog.assistant import Assistant, Notify
from kefu.dialog.defaults import load_intents
from kefu.llm.base import LLM

log = logging.getLogger("kefu.dialog")


@dataclass
class Services:
    assistant: Assistant
    store: Any
    registry: Any
    kb: Any
    orders: Any


def demo_paths() -> list[Path]:
    from kefu.demo import demo_dir

    d = demo_dir()
    return [d / "policies", d / "manuals", d / "faq" / "faq.csv"]


def demo_spelling() -> dict[str, list[str]]:
    from kefu.demo import demo_dir

    path = demo_dir() / "spelling.yaml"
    return {str(k): [str(x) for x in (v or [])] for k, v in (yaml.safe_load(path.read_text("utf-8")) or {}).items()}


def build_services(settings: Settings, llm: LLM, *, notify: Notify | None = None) -> Services:
    from kefu.dialog.intents import IntentClassifier, LLMIntents
    from kefu.knowledge.answer import load_prompts
    from kefu.knowledge.registry import KnowledgeBaseRegistry
    from kefu.store import open_store
    from kefu.tools.sqldb import ReadOnlyDB

    ds = settings.dialog
    prompts = load_prompts(ds.prompts_file)  # first: a bad prompts file stops the start, naming the file
    store = open_store(settings)
    registry = KnowledgeBaseRegistry(settings)
    kb = registry.get_or_create(ds.knowledge_base)
    spelling = dict(ds.spelling)
    orders_url = ds.orders_db
    if ds.load_demo:
        from kefu.demo import orders_db

        if kb.stats()["documents"] == 0:
            log.info("loading the demo company into knowledge base %r", ds.knowledge_base)
            summary = kb.add(demo_paths())
            log.info("demo loaded: %s", summary)
        spelling = {**demo_spelling(), **spelling}
        orders_url = orders_url or str(orders_db(settings.data_dir))
    orders = ReadOnlyDB.from_url(orders_url) if orders_url else None
    examples = load_intents(Path(settings.data_dir).expanduser())
    texts = [t for ex in examples.values() for t in ex]
    labels = [label for label, ex in examples.items() for _ in ex]
    clf = IntentClassifier(registry.embedder, threshold=ds.intent_threshold)
    vectors = clf.embed(texts)  # embedded once: for fitting, and as the LLM's example bank
    intents: Any = clf.fit_embeddings(vectors, labels)
    if ds.intent_llm:
        intents = LLMIntents(clf, llm, examples, k=ds.intent_llm_shots, vectors=vectors)
    from kefu.dialog.rules import PreRules

    scorer = None
    if ds.candidates > 1:
        if ds.reward_model:
            from kefu.train.scoring import RewardModelScorer

            scorer = RewardModelScorer(ds.reward_model)
        else:
            from kefu.dialog.scoring import RelevanceScorer

            scorer = RelevanceScorer(registry.embedder)
    from kefu.tools.search import load_search

    assistant = Assistant(llm=llm, store=store, settings=ds, intents=intents, kb=kb, orders=orders,
                          pre=PreRules(spelling=spelling), notify=notify, scorer=scorer,
                          search=load_search(settings.tools), prompts=prompts)
    return Services(assistant, store, registry, kb, orders)
