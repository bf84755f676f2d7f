"""A real crash (SIGKILL mid-answer) and concurrent writers, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest

from kefu.store import open_store

pytestmark = pytest.mark.integration

CHILD = r"""
import json, os, signal, sys
from kefu.store import open_store
store = open_store(sys.argv[1])
conv = store.create_conversation(channel="web")
q = store.add_message(conv.id, "customer", "我的订单 LM2026110009 到哪了？")
a = store.start_assistant_message(conv.id, intent="order_status", prompt=[{"role": "user", "content": "..."}])
store.update_streaming_text(a.id, "您的包裹已从")
print(json.dumps({"conv": conv.id, "q": q.id, "a": a.id}), flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # die mid-answer: no finish, no cleanup
"""


def test_sigkill_mid_answer_loses_nothing_acknowledged(store_url: str) -> None:
    proc = subprocess.run([sys.executable, "-c", CHILD, store_url], capture_output=True, text=True, timeout=120)
    assert proc.returncode == -9, proc.stderr
    ids = json.loads(proc.stdout.strip().splitlines()[-1])
    store = open_store(store_url)  # the startup recovery sweep
    try:
        msgs = store.messages(ids["conv"])
        assert [(m.id, m.status) for m in msgs] == [(ids["q"], "complete"), (ids["a"], "interrupted")]
        assert msgs[0].text == "我的订单 LM2026110009 到哪了？"
        assert msgs[1].text == "您的包裹已从" and msgs[1].finished_at is not None
        assert store.summary().interrupted == 1
    finally:
        store.close()


def test_concurrent_conversations_are_all_stored(store_url: str) -> None:
    threads, convs_per_thread, turns = 8, 5, 3
    store = open_store(store_url)
    errors: list[BaseException] = []

    def customer(n: int) -> None:
        try:
            for _ in range(convs_per_thread):
                c = store.create_conversation(customer_ref=f"load-{n}")
                for t in range(turns):
                    store.add_message(c.id, "customer", f"question {t}")
                    a = store.start_assistant_message(c.id, intent="faq")
                    store.update_streaming_text(a.id, "partial")
                    store.finish_message(a.id, f"answer {t}", latency_ms=5)
        except BaseException as e:  # noqa: BLE001 - reported by the main thread
            errors.append(e)

    t0 = time.perf_counter()
    workers = [threading.Thread(target=customer, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - t0
    try:
        assert errors == []
        s = store.summary()
        n_turns = threads * convs_per_thread * turns
        assert (s.conversations, s.customer_messages, s.assistant_messages) == (
            threads * convs_per_thread, n_turns, n_turns)
        assert all(m.status == "complete" for c in store.list_conversations(limit=100) for m in store.messages(c.id))
        print(f"{store.dialect}: {n_turns} turns (4 writes each) from {threads} threads in {elapsed:.2f}s "
              f"= {n_turns / elapsed:.0f} turns/s")
    finally:
        store.close()
