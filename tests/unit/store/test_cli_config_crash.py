"""Settings section, `kefu store` commands, and crash safety of a streaming answer (SQLite)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from kefu.config import load_settings
from kefu.store import open_store


def test_default_url_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings(data_dir=str(tmp_path))
    assert settings.store.resolved_url(settings.data_dir) == f"sqlite:///{tmp_path / 'kefu.db'}"
    store = open_store(settings)
    assert store.dialect == "sqlite" and (tmp_path / "kefu.db").is_file()
    store.close()
    assert load_settings(store={"url": "postgresql://u@h/db"}).store.resolved_url(tmp_path) == "postgresql://u@h/db"


def test_store_cli_migrate_stats_and_add_agent(tmp_path: Path) -> None:
    from kefu.cli.main import app

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    r = runner.invoke(app, ["store", "migrate", "--url", url])
    assert r.exit_code == 0, r.output
    assert "revision 0001" in r.output
    store = open_store(url)
    c = store.create_conversation()
    store.add_message(c.id, "customer", "Do you sell TVs?")
    store.add_message(c.id, "assistant", "Sorry, I don't know.", policy="fallback")
    store.close()
    r = runner.invoke(app, ["store", "stats", "--url", url])
    assert r.exit_code == 0, r.output
    assert "conversations      1" in r.output and "Do you sell TVs?" in r.output
    r = runner.invoke(app, ["store", "add-agent", "alice", "--url", url, "--admin"], input="long-password\nlong-password\n")
    assert r.exit_code == 0 and "created admin 'alice'" in r.output, r.output
    r = runner.invoke(app, ["store", "add-agent", "alice", "--url", url], input="long-password\nlong-password\n")
    assert r.exit_code == 2 and "taken" in r.output
    r = runner.invoke(app, ["store", "migrate", "--url", "mysql://x@y/z"])
    assert r.exit_code == 2 and "not supported" in r.output


def test_a_message_stored_before_streaming_survives_a_crash(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'crash.db'}"
    first = open_store(url)
    c = first.create_conversation()
    q = first.add_message(c.id, "customer", "Where is my order LM2026110009?")
    a = first.start_assistant_message(c.id, intent="order_status", prompt="the prompt")
    first.update_streaming_text(a.id, "Your parcel left")
    # the process "dies": no finish_message, connections dropped without any cleanup
    first.engine.dispose()
    second = open_store(url)  # startup runs the recovery sweep
    msgs = second.messages(c.id)
    assert [(m.id, m.role, m.status) for m in msgs] == [(q.id, "customer", "complete"),
                                                         (a.id, "assistant", "interrupted")]
    assert msgs[0].text == "Where is my order LM2026110009?"
    assert msgs[1].text == "Your parcel left" and msgs[1].prompt == "the prompt"
    second.close()
