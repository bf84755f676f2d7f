"""`kefu eval dialogue` end to end: real SmolLM2 + e5, the demo company, the shipped scripts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kefu.cli.main import app

pytestmark = pytest.mark.integration
SCRIPTS = Path(__file__).resolve().parents[2] / "fixtures" / "evaluate" / "dialogues.yaml"


def test_eval_dialogue_on_the_demo(tmp_path, monkeypatch):
    monkeypatch.setenv("KEFU_DATA_DIR", str(tmp_path / "data"))
    out = tmp_path / "report"
    r = CliRunner().invoke(app, ["eval", "dialogue", "--data", str(SCRIPTS), "--out", str(out)])
    assert r.exit_code == 0, r.output
    report = json.loads((out / "report.json").read_text())
    scores = report["results"]["Scores"] if "results" in report else report["metrics"]["Scores"]
    assert scores["conversation_success"] == 1.0, report
    assert (out / "report.html").is_file()
