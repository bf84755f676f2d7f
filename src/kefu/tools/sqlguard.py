"""Validate model-written SQL before it runs: one SELECT over allow-listed tables and columns, capped.

    policy = SqlPolicy({"orders": {"order_no", "status"}}, row_limit=50)
    validate_sql("SELECT status FROM orders WHERE order_no = 'A1'", policy)
    # -> 'SELECT "orders"."status" AS "status" FROM "orders" AS "orders" WHERE ... LIMIT 50'
    validate_sql("SELECT 1; DROP TABLE orders", policy)   # UnsafeSQL: exactly one statement ...

The SQL is parsed with sqlglot and what runs is regenerated from the checked syntax tree
(comments dropped), so text the parser did not see cannot run. Checks, in order: it parses;
exactly one statement; the statement is a query (SELECT, optionally WITH / UNION / INTERSECT /
EXCEPT), with no write, DDL, PRAGMA, ATTACH, SELECT INTO or row lock anywhere inside; every
table is allow-listed (CTE names are fine, schema-qualified names are not); no function outside
sqlglot's known functions plus a short list of harmless SQLite ones (``load_extension``,
``pragma_*`` table functions... are refused); every column resolves (sqlglot's ``qualify``,
aliases, subqueries and CTEs included) to an allow-listed column, ``*`` expands to allowed
columns only; the outermost LIMIT is added or capped at ``row_limit``. Limits: a join can still
be expensive — the executor's timeout, not this module, bounds run time.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, ParseError
from sqlglot.optimizer.qualify import qualify

from kefu.errors import InvalidRequestError

logging.getLogger("sqlglot").setLevel(logging.ERROR)  # it warns on fallback parses we reject anyway

_FORBIDDEN = tuple(getattr(exp, n) for n in (
    "Insert", "Update", "Delete", "Merge", "Create", "Drop", "Alter", "Command", "Pragma", "Attach", "Detach",
    "Into", "Lock", "Set", "Use", "Transaction", "Commit", "Rollback", "Copy", "TruncateTable", "Grant",
) if hasattr(exp, n))
# functions sqlglot does not model (exp.Anonymous) that are harmless in SQLite / PostgreSQL
_SAFE_ANONYMOUS = {"julianday", "printf", "total", "instr", "unixepoch", "strftime", "date", "datetime", "time",
                   "date_part", "to_char", "char_length"}


class UnsafeSQL(InvalidRequestError):
    """The SQL was refused before running; ``sql`` is what was refused."""

    code = "unsafe_sql"

    def __init__(self, message: str, sql: str, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint or "ask a question the allow-listed tables can answer with one SELECT")
        self.sql = sql


@dataclass(frozen=True)
class SqlPolicy:
    """What generated SQL may read. ``allow`` maps table -> allowed column names (lower-case)."""

    allow: Mapping[str, frozenset[str]]
    row_limit: int = 50
    dialect: str = "sqlite"
    types: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # table -> column -> SQL type

    def schema(self) -> dict[str, dict[str, str]]:
        return {t: {c: self.types.get(t, {}).get(c, "TEXT") for c in sorted(cols)} for t, cols in self.allow.items()}

    def describe(self) -> str:
        """``CREATE TABLE`` lines for the allowed part of the schema (what the model is shown)."""
        return "\n".join(f"CREATE TABLE {t} ({', '.join(f'{c} {ty}' for c, ty in cols.items())});"
                         for t, cols in self.schema().items())


def validate_sql(sql: str, policy: SqlPolicy) -> str:
    """Return the SQL to run (regenerated, LIMIT enforced) or raise :class:`UnsafeSQL` saying why."""
    text = sql.strip()
    if not text:
        raise UnsafeSQL("the SQL is empty", sql)
    try:
        statements = [s for s in sqlglot.parse(text, read=policy.dialect) if s is not None]
    except ParseError as e:
        raise UnsafeSQL(f"the SQL does not parse: {_first_line(e)}", sql) from e
    if len(statements) != 1:
        raise UnsafeSQL(f"exactly one statement is allowed, got {len(statements)}", sql)
    tree = statements[0]
    if not isinstance(tree, exp.Select | exp.SetOperation):
        kind = tree.key.upper() if isinstance(tree, exp.Expression) else type(tree).__name__
        raise UnsafeSQL(f"only SELECT queries are allowed, not {kind}", sql)
    for node in tree.walk():
        if isinstance(node, _FORBIDDEN):
            raise UnsafeSQL(f"{node.key.upper()} is not allowed inside a query", sql)
    _check_tables(tree, policy, sql)
    _check_functions(tree, sql)
    try:
        tree = qualify(tree, schema=policy.schema(), dialect=policy.dialect, validate_qualify_columns=True,
                       quote_identifiers=True)
    except OptimizeError as e:
        raise UnsafeSQL(f"a column is not allowed or does not exist: {_first_line(e)}", sql,
                        hint=f"allowed columns: {_allowed_text(policy)}") from e
    _enforce_limit(tree, policy.row_limit)
    return tree.sql(dialect=policy.dialect, comments=False)


def _check_tables(tree: exp.Expression, policy: SqlPolicy, sql: str) -> None:
    ctes = {c.alias_or_name.lower() for c in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        name = table.name.lower()
        if not name:  # a table function such as pragma_table_info(...) or a VALUES list
            raise UnsafeSQL(f"reading from {table.sql(policy.dialect)!r} is not allowed", sql)
        if table.args.get("db") or table.args.get("catalog"):
            raise UnsafeSQL(f"schema-qualified table {table.sql(policy.dialect)} is not allowed", sql)
        if name not in policy.allow and name not in ctes:
            raise UnsafeSQL(f"table {name!r} is not allowed", sql,
                            hint=f"allowed tables: {', '.join(sorted(policy.allow))}")


def _check_functions(tree: exp.Expression, sql: str) -> None:
    for fn in tree.find_all(exp.Anonymous):
        if fn.name.lower() not in _SAFE_ANONYMOUS:
            raise UnsafeSQL(f"function {fn.name}() is not allowed", sql)


def _enforce_limit(tree: exp.Expression, row_limit: int) -> None:
    limit = tree.args.get("limit")
    if limit is not None:
        value = limit.expression
        if isinstance(value, exp.Literal) and value.is_int and int(value.name) <= row_limit:
            return
    tree.set("limit", exp.Limit(expression=exp.Literal.number(row_limit)))


def _allowed_text(policy: SqlPolicy) -> str:
    return "; ".join(f"{t}({', '.join(sorted(c))})" for t, c in sorted(policy.allow.items()))


def _first_line(e: Exception) -> str:
    return str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
