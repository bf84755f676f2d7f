"""The conformance suite every :class:`kefu.knowledge.stores.base.VectorStore` must pass.

Each check takes a factory ``make(collection_name, dim) -> VectorStore`` (a fresh, empty
collection) and raises AssertionError on a violation. tests/integration/knowledge runs them on
embedded Chroma, a Chroma server and milvus-lite; an out-of-tree store runs them the same way::

    from kefu.testing.vector_store import CHECKS
    for check in CHECKS:
        check(lambda name, dim: MyStore(name, dim))
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import numpy as np

from kefu.errors import InvalidRequestError
from kefu.knowledge.stores.base import Record, VectorStore

Factory = Callable[[str, int], VectorStore]
DIM = 8


def _vec(i: int) -> list[float]:
    rng = np.random.default_rng(i)
    v = rng.normal(size=DIM)
    return list(v / np.linalg.norm(v))


def _records(n: int, start: int = 0) -> list[Record]:
    return [Record(f"r{i}", _vec(i), f"text {i} 文本", {"doc_key": f"d{i % 3}", "pos": i, "faq": i % 2 == 0,
                                                        "w": i / 10})
            for i in range(start, start + n)]


def _fresh(make: Factory) -> VectorStore:
    return make(f"conf_{uuid.uuid4().hex[:10]}", DIM)


def check_add_get_count(make: Factory) -> None:
    s = _fresh(make)
    assert s.count() == 0
    s.add(_records(6))
    assert s.count() == 6
    got = {r.id: r for r in s.get(["r1", "r4"], include_vectors=True)}
    assert set(got) == {"r1", "r4"}
    assert got["r1"].text == "text 1 文本"
    assert got["r1"].metadata == {"doc_key": "d1", "pos": 1, "faq": False, "w": 0.1}
    assert np.allclose(got["r4"].vector, _vec(4), atol=1e-5)
    assert len(s.get()) == 6
    assert s.get(["missing"]) == []
    s.drop()


def check_add_existing_id_fails(make: Factory) -> None:
    s = _fresh(make)
    s.add(_records(2))
    try:
        s.add(_records(1))
    except InvalidRequestError:
        pass
    else:
        raise AssertionError("add() of an existing id must raise InvalidRequestError")
    assert s.count() == 2
    s.drop()


def check_upsert_replaces(make: Factory) -> None:
    s = _fresh(make)
    s.add(_records(3))
    s.upsert([Record("r1", _vec(100), "new text", {"doc_key": "dx", "pos": 99}), *_records(1, start=3)])
    assert s.count() == 4
    r1 = s.get(["r1"])[0]
    assert r1.text == "new text" and r1.metadata["doc_key"] == "dx" and r1.metadata["pos"] == 99
    assert s.query(_vec(100), 1)[0].id == "r1"
    s.drop()


def check_query_order_and_scores(make: Factory) -> None:
    s = _fresh(make)
    recs = _records(12)
    s.add(recs)
    for probe in (0, 5, 11):
        hits = s.query(_vec(probe), 4)
        assert len(hits) == 4 and hits[0].id == f"r{probe}"
        assert abs(hits[0].score - 1.0) < 1e-3, hits[0].score
        scores = [h.score for h in hits]
        assert scores == sorted(scores, reverse=True)
        expected = sorted(range(12), key=lambda i: -float(np.dot(_vec(probe), _vec(i))))[:4]
        assert [h.id for h in hits] == [f"r{i}" for i in expected]
        assert hits[0].metadata["doc_key"] == f"d{probe % 3}" and hits[0].text == f"text {probe} 文本"
    assert len(s.query(_vec(0), 50)) == 12
    s.drop()


def check_filters(make: Factory) -> None:
    s = _fresh(make)
    s.add(_records(12))
    hits = s.query(_vec(0), 10, where={"doc_key": "d1"})
    assert {h.id for h in hits} == {"r1", "r4", "r7", "r10"}
    hits = s.query(_vec(0), 10, where={"doc_key": {"$in": ["d1", "d2"]}, "faq": True})
    assert {h.id for h in hits} == {"r2", "r4", "r8", "r10"}
    assert {r.id for r in s.get(where={"pos": 3})} == {"r3"}
    assert {r.id for r in s.get(["r0", "r1", "r2"], where={"doc_key": "d0"})} == {"r0"}
    assert s.query(_vec(0), 5, where={"doc_key": "nope"}) == []
    s.drop()


def check_delete(make: Factory) -> None:
    s = _fresh(make)
    s.add(_records(9))
    s.delete(ids=["r0", "r1"])
    assert s.count() == 7 and s.get(["r0"]) == []
    s.delete(where={"doc_key": "d2"})
    assert {r.id for r in s.get()} == {"r3", "r4", "r6", "r7"}
    s.delete(ids=["not-there"])
    s.delete(where={"doc_key": "nope"})
    assert s.count() == 4
    assert all(h.metadata["doc_key"] != "d2" for h in s.query(_vec(2), 10))
    s.drop()


def check_persistence_by_name(make: Factory) -> None:
    name = f"conf_{uuid.uuid4().hex[:10]}"
    a = make(name, DIM)
    a.add(_records(3))
    b = make(name, DIM)  # reopening the same collection sees the same data
    assert b.count() == 3 and b.get(["r2"])[0].text == "text 2 文本"
    b.drop()


CHECKS = [check_add_get_count, check_add_existing_id_fails, check_upsert_replaces, check_query_order_and_scores,
          check_filters, check_delete, check_persistence_by_name]
