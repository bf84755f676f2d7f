"""Milvus through ``pymilvus.MilvusClient``: milvus-lite for a local ``.db`` file, or a Milvus
server / cluster URI with the same code.

Schema: ``id`` (VARCHAR primary key), ``vector`` (FLOAT_VECTOR, COSINE, AUTOINDEX), ``text``
(VARCHAR, up to 65,535 bytes), metadata as dynamic fields. Limit: ``get`` without ids returns
at most 16,384 records (Milvus' query window).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from kefu.errors import BackendError, InvalidRequestError
from kefu.knowledge.stores.base import Record, StoredRecord, VectorHit, Where, check_metadata, check_where

_MAX_QUERY = 16_384
_RESERVED = ("id", "vector", "text")


def _lit(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    return json.dumps(v, ensure_ascii=False) if isinstance(v, str) else repr(v)


def _expr(where: Where | None, ids: Sequence[str] | None = None) -> str:
    parts = []
    for k, op, v in check_where(where):
        if not k.isidentifier():
            raise InvalidRequestError(f"filter key {k!r} is not a valid field name")
        parts.append(f"{k} in [{', '.join(map(_lit, v))}]" if op == "in" else f"{k} == {_lit(v)}")
    if ids is not None:
        parts.append(f"id in [{', '.join(map(_lit, ids))}]")
    return " and ".join(f"({p})" for p in parts)


class MilvusStore:
    def __init__(self, uri: str, collection: str, dim: int) -> None:
        from pymilvus import DataType, MilvusClient

        self.collection = collection
        try:
            self._client = MilvusClient(uri=uri)
        except Exception as e:
            raise BackendError(f"cannot open Milvus at {uri}: {e}") from e
        if not self._client.has_collection(collection):
            schema = self._client.create_schema(auto_id=False, enable_dynamic_field=True)
            schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=512)
            schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
            schema.add_field("text", DataType.VARCHAR, max_length=65535)
            index = self._client.prepare_index_params()
            index.add_index("vector", index_type="AUTOINDEX", metric_type="COSINE")
            self._client.create_collection(collection, schema=schema, index_params=index, consistency_level="Strong")

    def _rows(self, records: Sequence[Record]) -> list[dict[str, Any]]:
        check_metadata(records)
        rows = []
        for r in records:
            bad = [k for k in r.metadata if k in _RESERVED or k.startswith("$")]
            if bad:
                raise InvalidRequestError(f"record {r.id}: metadata keys {bad} are reserved")
            rows.append({"id": r.id, "vector": [float(x) for x in r.vector], "text": r.text, **r.metadata})
        return rows

    def add(self, records: Sequence[Record]) -> None:
        if not records:
            return
        existing = [r.id for r in self.get([r.id for r in records])]
        if existing:
            raise InvalidRequestError(f"ids already exist: {existing[:5]}", hint="use upsert to replace them")
        self._client.insert(self.collection, self._rows(records))

    def upsert(self, records: Sequence[Record]) -> None:
        for i in range(0, len(records), 5000):
            self._client.upsert(self.collection, self._rows(records[i:i + 5000]))

    @staticmethod
    def _split(row: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
        meta = {k: v for k, v in row.items() if k not in _RESERVED and k != "$meta"}
        meta.update(row.get("$meta") or {})
        return str(row["id"]), str(row.get("text") or ""), meta

    def get(self, ids: Sequence[str] | None = None, where: Where | None = None, *,
            include_vectors: bool = False) -> list[StoredRecord]:
        if ids is not None and not ids:
            return []
        expr = _expr(where, ids) or 'id != ""'
        rows = self._client.query(self.collection, filter=expr, output_fields=["*"],
                                  limit=_MAX_QUERY if ids is None else len(ids))
        out = []
        for row in rows:
            i, text, meta = self._split(row)
            vec = [float(x) for x in row["vector"]] if include_vectors else None
            out.append(StoredRecord(i, text, meta, vec))
        return out

    def query(self, vector: Sequence[float], k: int, where: Where | None = None) -> list[VectorHit]:
        if k <= 0:
            return []
        res = self._client.search(self.collection, data=[[float(x) for x in vector]], limit=k,
                                  filter=_expr(where), output_fields=["*"], search_params={"metric_type": "COSINE"})
        hits = []
        for h in res[0]:
            entity = dict(h.get("entity") or {})
            entity.setdefault("id", h.get("id"))
            i, text, meta = self._split(entity)
            hits.append(VectorHit(i, text, meta, float(h.get("distance"))))
        return hits

    def delete(self, ids: Sequence[str] | None = None, where: Where | None = None) -> None:
        if ids is not None and not ids:
            return
        if ids is None and not where:
            raise InvalidRequestError("delete needs ids or a filter", hint="use drop() to delete everything")
        self._client.delete(self.collection, filter=_expr(where, ids))

    def count(self) -> int:
        res = self._client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(res[0]["count(*)"])

    def drop(self) -> None:
        self._client.drop_collection(self.collection)

    def close(self) -> None:
        self._client.close()
