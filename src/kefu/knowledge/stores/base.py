"""The vector store interface: records with a vector, a text and flat metadata.

Filters (``where``) are a dict ANDing one condition per key: ``{"source": "a.md"}`` (equals) or
``{"doc_key": {"$in": ["k1", "k2"]}}``. Metadata values are str, int, float or bool (no None,
no lists: callers flatten). Scores are cosine similarities (higher = closer); vectors are
expected L2-normalised. The conformance suite is :mod:`kefu.testing.vector_store`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from kefu.errors import InvalidRequestError

Scalar = str | int | float | bool
Where = dict[str, Any]


@dataclass
class Record:
    id: str
    vector: Sequence[float]
    text: str
    metadata: dict[str, Scalar] = field(default_factory=dict)


@dataclass
class StoredRecord:
    id: str
    text: str
    metadata: dict[str, Scalar]
    vector: list[float] | None = None


@dataclass
class VectorHit:
    id: str
    text: str
    metadata: dict[str, Scalar]
    score: float


@runtime_checkable
class VectorStore(Protocol):
    """One collection in one backend."""

    collection: str

    def add(self, records: Sequence[Record]) -> None:
        """Insert new records; raises InvalidRequestError if an id already exists."""
        ...

    def upsert(self, records: Sequence[Record]) -> None:
        """Insert or replace records by id."""
        ...

    def get(self, ids: Sequence[str] | None = None, where: Where | None = None, *,
            include_vectors: bool = False) -> list[StoredRecord]:
        """Records by id and/or filter (both None: everything)."""
        ...

    def query(self, vector: Sequence[float], k: int, where: Where | None = None) -> list[VectorHit]:
        """The ``k`` nearest records matching ``where``, best first."""
        ...

    def delete(self, ids: Sequence[str] | None = None, where: Where | None = None) -> None:
        """Delete by id and/or filter; deleting nothing is not an error."""
        ...

    def count(self) -> int:
        ...

    def drop(self) -> None:
        """Delete the whole collection."""
        ...


def check_where(where: Where | None) -> list[tuple[str, str, Any]]:
    """Validate a filter into [(key, "eq"|"in", value)] (shared by the backends)."""
    out: list[tuple[str, str, Any]] = []
    for key, cond in (where or {}).items():
        if isinstance(cond, dict):
            if set(cond) != {"$in"} or not isinstance(cond["$in"], (list, tuple)):
                raise InvalidRequestError(f"unsupported filter on {key!r}: {cond}", hint="use a value or {'$in': [...]}")
            out.append((key, "in", list(cond["$in"])))
        elif isinstance(cond, (str, int, float, bool)):
            out.append((key, "eq", cond))
        else:
            raise InvalidRequestError(f"filter value for {key!r} must be a str/int/float/bool or {{'$in': [...]}}")
    return out


def check_metadata(records: Sequence[Record]) -> None:
    for r in records:
        for k, v in r.metadata.items():
            if not isinstance(v, (str, int, float, bool)):
                raise InvalidRequestError(f"record {r.id}: metadata {k!r} must be str/int/float/bool, got {type(v).__name__}")
