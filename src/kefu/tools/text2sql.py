"""Questions over a business database: the LLM writes SQL, kefu validates it, runs it read-only.

    db = ReadOnlyDB.from_url("orders.db")
    policy = policy_for(db, settings.tools.sql_allow, settings.tools.sql_row_limit)
    result = ask_sql("How many orders were refunded?", llm, db, policy)
    print(result.sql); print(result.rows.table())

The model sees only the allow-listed part of the schema (as CREATE TABLE lines) and is asked for
one SQLite/PostgreSQL SELECT. Its answer may be wrapped in a code fence or prose; the first
``SELECT``/``WITH`` statement is taken. A refused statement (see :mod:`kefu.tools.sqlguard`) is
sent back once with the reason (``attempts=2``); if it is still refused, :class:`UnsafeSQL`
names the last SQL and why. Limits: small models often write wrong-but-valid SQL; the rows are
shown as they are, so a person can see what was asked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kefu.llm.base import LLM, GenerationRequest, Message, SamplingParams, collect
from kefu.tools.sqldb import ReadOnlyDB, Rows
from kefu.tools.sqlguard import SqlPolicy, UnsafeSQL, validate_sql

SYSTEM = ("You translate questions into SQL for a {dialect} database. Use only these tables and columns:\n\n"
          "{schema}\n\nAnswer with exactly one SELECT statement and nothing else. Never modify data.")
_FENCE = re.compile(r"```(?:sql|SQL)?\s*(.*?)```", re.DOTALL)
_START = re.compile(r"\b(SELECT|WITH)\b", re.IGNORECASE)


@dataclass
class SqlAnswer:
    question: str
    sql: str  # what ran (validated, LIMIT enforced)
    rows: Rows
    attempts: int
    raw: list[str] = field(default_factory=list)  # the model's answers, for logging


def sql_from_text(text: str) -> str:
    """The SQL in a model answer: a fenced block if there is one, else from the first SELECT/WITH on.

    ``"Sure!\\n```sql\\nSELECT 1;\\n```"`` -> ``"SELECT 1;"``
    """
    m = _FENCE.search(text)
    body = m.group(1) if m else text
    start = _START.search(body)
    return (body[start.start():] if start else body).strip()


def build_prompt(question: str, policy: SqlPolicy) -> list[Message]:
    dialect = "SQLite" if policy.dialect == "sqlite" else "PostgreSQL"
    return [Message("system", SYSTEM.format(dialect=dialect, schema=policy.describe())),
            Message("user", f"Question: {question}\nSQL:")]


def ask_sql(question: str, llm: LLM, db: ReadOnlyDB, policy: SqlPolicy, *, attempts: int = 2,
            params: SamplingParams | None = None) -> SqlAnswer:
    """Generate, validate and run SQL for ``question`` (see the module docstring)."""
    params = params or SamplingParams(max_tokens=200, temperature=0.0)
    messages = build_prompt(question, policy)
    raw: list[str] = []
    last: UnsafeSQL | None = None
    for attempt in range(1, attempts + 1):
        text, _ = collect(llm.stream(GenerationRequest(messages=messages, params=params)))
        raw.append(text)
        candidate = sql_from_text(text)
        try:
            safe = validate_sql(candidate, policy)
        except UnsafeSQL as e:
            last = e
            messages = [*messages, Message("assistant", text),
                        Message("user", f"That SQL was refused: {e.message}. Write one SELECT using only the "
                                        "listed tables and columns.\nSQL:")]
            continue
        return SqlAnswer(question, safe, db.query(safe, max_rows=policy.row_limit), attempt, raw)
    assert last is not None
    raise UnsafeSQL(f"the model's SQL was refused after {attempts} attempt(s): {last.message}", last.sql,
                    hint=last.hint)
