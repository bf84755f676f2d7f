"""The tools with the real bundled SmolLM2-135M-Instruct (llama.cpp) and real loopback servers."""

import pytest

from fixtures.tools import FIXTURES, replay, shopdb
from kefu.dialog.prompts import CoTExample, solve
from kefu.errors import BackendError
from kefu.llm.base import SamplingParams
from kefu.tools.extract import ExtractionError, extract
from kefu.tools.realtime import CANNOT_CHECK, answer_with_search, is_time_sensitive
from kefu.tools.search import SearxngSearch
from kefu.tools.sqldb import ReadOnlyDB, policy_for
from kefu.tools.sqlguard import UnsafeSQL, validate_sql
from kefu.tools.text2sql import ask_sql

pytestmark = pytest.mark.integration


def test_time_sensitive_question_answered_from_replayed_searxng(default_llm):
    question = "What is the latest SmolLM2 release?"
    assert is_time_sensitive(question)
    with replay.ReplayServer({"/search": replay.Reply(200, (FIXTURES / "searxng_smollm2.json").read_bytes())}) as srv:
        result = answer_with_search(question, default_llm, SearxngSearch(srv.url, timeout_s=5),
                                    params=SamplingParams(max_tokens=60, temperature=0.0))
    assert result.status == "ok" and result.text and len(result.sources) == 2
    assert "[2] (GitHub - huggingface/smollm" in result.prompt[0].content
    assert answer_with_search(question, default_llm, None).text == CANNOT_CHECK["en"]


def test_text_to_sql_with_the_real_model_never_writes(default_llm, shop_db):
    db = ReadOnlyDB.from_url(str(shop_db), timeout_s=5)
    policy = policy_for(db, shopdb.ALLOW, row_limit=20)
    try:
        answer = ask_sql("How many orders are there?", default_llm, db, policy,
                         params=SamplingParams(max_tokens=60, temperature=0.0))
    except (UnsafeSQL, BackendError) as e:  # a 135M model may write SQL that is refused or wrong
        assert e.message
    else:
        assert validate_sql(answer.sql, policy) == answer.sql and len(answer.rows.rows) <= 20
    assert db.query("SELECT count(*) FROM orders").rows == [(300,)]


def test_extraction_with_the_real_model_is_valid_or_a_clear_error(default_llm):
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
              "required": ["name", "age"]}
    try:
        data = extract("Xiaohong is 6 years old.", schema, default_llm, attempts=2,
                       params=SamplingParams(max_tokens=60, temperature=0.0))
    except ExtractionError as e:
        assert len(e.errors) == 2 and "last output" in e.message
    else:
        assert isinstance(data["name"], str) and isinstance(data["age"], int)


def test_cot_solve_with_the_real_model_returns_a_final_line_or_none(default_llm):
    demos = [CoTExample("I had 3 apples and bought 4 more. How many?", ("3 + 4 = 7.",), "7")]
    res = solve("I had 2 pens and bought 5 more. How many?", default_llm, demos, max_tokens=48)
    assert res.output and (res.answer is None or res.answer in res.output)
