"""A read-only connection to a business database (SQLite file or PostgreSQL), with a timeout.

    db = ReadOnlyDB.from_url("demo/orders/orders.db", timeout_s=5)
    rows = db.query("SELECT status FROM orders WHERE order_no = :no", {"no": "KF2026001"})
    rows.columns, rows.rows

Read-only is enforced by the database, not by trust: SQLite is opened with the URI
``file:PATH?mode=ro`` plus ``PRAGMA query_only``; PostgreSQL runs each query inside
``SET TRANSACTION READ ONLY`` with ``SET LOCAL statement_timeout``. The SQLite timeout is a
progress handler that interrupts the statement once ``timeout_s`` has passed. Parameters are
written ``:name`` for both databases. A connection is opened per query (cheap for SQLite,
and safe across the server's threads); for heavy PostgreSQL use put a pooler in front.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kefu.errors import BackendError, ConfigError


class QueryTimeout(BackendError):
    code = "query_timeout"


@dataclass
class Rows:
    columns: list[str]
    rows: list[tuple[Any, ...]]

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, r, strict=True)) for r in self.rows]

    def table(self, max_width: int = 40) -> str:
        """A plain-text table for showing the rows to a person."""
        cells = [[_cell(v, max_width) for v in r] for r in self.rows]
        widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(self.columns)]
        line = lambda vals: " | ".join(v.ljust(w) for v, w in zip(vals, widths, strict=True))  # noqa: E731
        out = [line(self.columns), "-+-".join("-" * w for w in widths)] + [line(r) for r in cells]
        return "\n".join(out) + f"\n({len(self.rows)} row{'s' if len(self.rows) != 1 else ''})"


def _cell(v: Any, width: int) -> str:
    s = "NULL" if v is None else str(v)
    return s if len(s) <= width else s[: width - 1] + "…"


class ReadOnlyDB:
    def __init__(self, url: str, *, timeout_s: float = 5.0) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.dialect = "postgres" if url.startswith(("postgresql", "postgres://")) else "sqlite"
        if self.dialect == "sqlite":
            self.path = Path(url.removeprefix("sqlite:///")).expanduser()
            if not self.path.is_file():
                raise ConfigError(f"database file {self.path} not found",
                                  hint="give an existing SQLite file to --db or tools.sql_url")

    @classmethod
    def from_url(cls, url: str, *, timeout_s: float = 5.0) -> ReadOnlyDB:
        return cls(url, timeout_s=timeout_s)

    def query(self, sql: str, params: Mapping[str, Any] | None = None, *, max_rows: int | None = None) -> Rows:
        """Run one read-only statement; :class:`QueryTimeout` past ``timeout_s``."""
        if self.dialect == "sqlite":
            return self._sqlite(sql, params or {}, max_rows)
        return self._postgres(sql, params or {}, max_rows)

    def columns(self) -> dict[str, list[tuple[str, str]]]:
        """Every table's (column, type) pairs, from the database's own catalogue."""
        if self.dialect == "sqlite":
            names = self.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            out = {}
            for (name,) in names.rows:
                info = self.query(f'SELECT name, type FROM pragma_table_info("{name}")')
                out[name.lower()] = [(c.lower(), t or "TEXT") for c, t in info.rows]
            return out
        rows = self.query("SELECT table_name, column_name, data_type FROM information_schema.columns "
                          "WHERE table_schema = current_schema() ORDER BY table_name, ordinal_position")
        out2: dict[str, list[tuple[str, str]]] = {}
        for t, c, ty in rows.rows:
            out2.setdefault(t.lower(), []).append((c.lower(), ty))
        return out2

    def _sqlite(self, sql: str, params: Mapping[str, Any], max_rows: int | None) -> Rows:
        try:
            conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False)
        except sqlite3.Error as e:
            raise ConfigError(f"cannot open {self.path} read-only: {e}") from e
        deadline = time.monotonic() + self.timeout_s
        # returning non-zero from the progress handler aborts the statement ("interrupted")
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 1000)
        try:
            conn.execute("PRAGMA query_only = ON")
            cur = conn.execute(sql, dict(params))
            rows = cur.fetchmany(max_rows) if max_rows else cur.fetchall()
            return Rows([d[0] for d in cur.description or []], [tuple(r) for r in rows])
        except sqlite3.OperationalError as e:
            if "interrupted" in str(e):
                raise QueryTimeout(f"the query ran longer than {self.timeout_s:g}s and was stopped",
                                   hint="ask a narrower question, or raise tools.sql_timeout_s") from e
            raise BackendError(f"the database refused the query: {e}") from e
        except sqlite3.Error as e:
            raise BackendError(f"the database refused the query: {e}") from e
        finally:
            conn.close()

    def _postgres(self, sql: str, params: Mapping[str, Any], max_rows: int | None) -> Rows:
        import psycopg

        url = re.sub(r"^postgresql\+\w+://", "postgresql://", self.url)
        pg_sql = re.sub(r"(?<!:):(\w+)", r"%(\1)s", sql.replace("%", "%%"))
        try:
            with psycopg.connect(url, connect_timeout=max(1, int(self.timeout_s))) as conn:
                with conn.cursor() as cur:
                    cur.execute("SET TRANSACTION READ ONLY")
                    cur.execute(f"SET LOCAL statement_timeout = {int(self.timeout_s * 1000)}")
                    cur.execute(pg_sql, dict(params))  # type: ignore[arg-type]
                    rows: Sequence[Any] = cur.fetchmany(max_rows) if max_rows else cur.fetchall()
                    cols = [d.name for d in cur.description or []]
                conn.rollback()
            return Rows(cols, [tuple(r) for r in rows])
        except psycopg.errors.QueryCanceled as e:
            raise QueryTimeout(f"the query ran longer than {self.timeout_s:g}s and was stopped") from e
        except psycopg.OperationalError as e:
            raise ConfigError(f"cannot connect to the database: {e}") from e
        except psycopg.Error as e:
            raise BackendError(f"the database refused the query: {e}") from e


def policy_for(db: ReadOnlyDB, allow: Mapping[str, Sequence[str]], row_limit: int) -> Any:
    """A :class:`~kefu.tools.sqlguard.SqlPolicy` from the allow-list, checked against the real schema:
    ``'*'`` becomes every column; allow-listed names the database lacks are a ConfigError."""
    from kefu.tools.sqlguard import SqlPolicy

    real = db.columns()
    allowed: dict[str, frozenset[str]] = {}
    types: dict[str, dict[str, str]] = {}
    for table, cols in allow.items():
        t = table.lower()
        if t not in real:
            raise ConfigError(f"allow-listed table {table!r} is not in the database",
                              hint=f"tables there: {', '.join(sorted(real)) or '(none)'}; fix tools.sql_allow")
        have = dict(real[t])
        wanted = list(have) if "*" in cols else [c.lower() for c in cols]
        missing = [c for c in wanted if c not in have]
        if missing:
            raise ConfigError(f"allow-listed column(s) {', '.join(missing)} not in table {table!r}",
                              hint=f"its columns: {', '.join(have)}; fix tools.sql_allow")
        allowed[t] = frozenset(wanted)
        types[t] = {c: have[c] for c in wanted}
    return SqlPolicy(allowed, row_limit=row_limit, dialect=db.dialect, types=types)
