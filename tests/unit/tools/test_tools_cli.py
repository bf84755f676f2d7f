import json

from typer.testing import CliRunner

from fixtures.tools import FIXTURES, replay
from kefu.cli.main import app

runner = CliRunner()


def test_cli_search_prints_numbered_sources():
    with replay.ReplayServer({"/search": replay.Reply(200, (FIXTURES / "searxng_smollm2.json").read_bytes())}) as srv:
        res = runner.invoke(app, ["tools", "search", "smollm2", "--provider", "searxng", "--searxng-url", srv.url])
    assert res.exit_code == 0, res.output
    assert "[1] HuggingFaceTB/SmolLM2-135M-Instruct" in res.output and "[2] GitHub" in res.output


def test_cli_search_off_by_default_is_a_clear_error():
    res = runner.invoke(app, ["tools", "search", "news"])
    assert res.exit_code == 2 and "web search is off" in res.output


def test_cli_sql_with_fake_model_and_refusal(shop_db, tmp_path, monkeypatch):
    from kefu.llm.fake import FakeLLM

    answers = FakeLLM(["SELECT status, count(*) AS n FROM orders GROUP BY status ORDER BY status"])
    monkeypatch.setattr("kefu.llm.factory.load_llm", lambda settings: answers)
    cfg = tmp_path / "kefu.yaml"
    cfg.write_text("tools:\n  sql_allow:\n    orders: [order_no, status]\n", encoding="utf-8")
    res = runner.invoke(app, ["tools", "sql", "orders per status?", "--db", str(shop_db), "-c", str(cfg)])
    assert res.exit_code == 0, res.output
    assert "delivered | 60" in res.output and "(5 rows)" in res.output
    answers.enqueue("SELECT secret FROM admin_secrets", "DROP TABLE orders")
    res = runner.invoke(app, ["tools", "sql", "secrets?", "--db", str(shop_db), "-c", str(cfg)])
    assert res.exit_code == 2 and "refused after 2 attempt(s): only SELECT" in res.output


def test_cli_extract(monkeypatch):
    from kefu.llm.fake import FakeLLM

    monkeypatch.setattr("kefu.llm.factory.load_llm",
                        lambda settings: FakeLLM(['{"people": [{"name": "Xiaohong", "age": 6, "height_cm": 140}]}']))
    res = runner.invoke(app, ["tools", "extract", "Xiaohong is 6 and 140 cm.", "--schema",
                              str(FIXTURES / "person_schema.json")])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output) == {"people": [{"name": "Xiaohong", "age": 6, "height_cm": 140}]}
