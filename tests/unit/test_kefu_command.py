"""The top-level `kefu` command: help that teaches, command groups mounted, clear errors."""

from __future__ import annotations

from typer.testing import CliRunner

from kefu.cli.main import GROUPS, app

runner = CliRunner()


def test_help_lists_every_command_and_group():
    out = runner.invoke(app, ["--help"]).output
    for name in ("serve", "chat", "generate", "models", "config", *GROUPS):
        assert name in out


def test_generate_with_the_fake_backend():
    r = runner.invoke(app, ["generate", "hello there", "--model", "fake", "-n", "5"])
    assert r.exit_code == 0 and "hello there" in r.output


def test_unknown_model_is_a_clear_error_not_a_traceback(tmp_path):
    r = runner.invoke(app, ["generate", "hi", "--model", str(tmp_path / "nope.gguf")])
    assert r.exit_code == 2 and "not found" in r.output and "Traceback" not in r.output


def test_bench_lists_the_benchmarks():
    r = runner.invoke(app, ["bench", "list"])
    assert r.exit_code == 0
    for name in ("llm_speed", "kb_speed", "load_test", "kb_retrieval"):
        assert name in r.output
    assert runner.invoke(app, ["bench", "run", "no_such_bench"]).exit_code == 2


def test_config_prints_the_effective_settings(monkeypatch):
    monkeypatch.setenv("KEFU_SERVER__PORT", "9123")
    r = runner.invoke(app, ["config"])
    assert r.exit_code == 0 and "port: 9123" in r.output
