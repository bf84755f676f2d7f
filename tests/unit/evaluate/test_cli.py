import json

from typer.testing import CliRunner

from kefu.cli.main import app

runner = CliRunner()


def test_eval_intent_cli_writes_report_and_saves_classifier(tmp_path, fixtures_dir):
    out = tmp_path / "rep"
    r = runner.invoke(app, ["eval", "intent", "--data", str(fixtures_dir / "intents_test.csv"),
                            "--train", str(fixtures_dir / "intents_train.csv"), "--embedder", "hash-256",
                            "--method", "centroid", "--out", str(out), "--save", str(tmp_path / "clf")])
    assert r.exit_code == 0, r.output
    assert "accuracy" in r.output and (out / "report.html").exists() and (out / "figures" / "confusion.png").exists()
    acc = json.loads((out / "report.json").read_text())["metrics"]["Summary"]["accuracy"]
    r2 = runner.invoke(app, ["eval", "intent", "--data", str(fixtures_dir / "intents_test.csv"), "--embedder",
                             "hash-256", "--classifier", str(tmp_path / "clf"), "--out", str(tmp_path / "rep2")])
    assert r2.exit_code == 0, r2.output
    assert json.loads((tmp_path / "rep2" / "report.json").read_text())["metrics"]["Summary"]["accuracy"] == acc


def test_eval_intent_cli_bad_file_exit_2_with_line(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("text,category\nfine,a\noops,\n")
    r = runner.invoke(app, ["eval", "intent", "--data", str(bad), "--embedder", "hash-64", "--out", str(tmp_path)])
    assert r.exit_code == 2 and "bad.csv:3: empty label" in " ".join(r.output.split())


def test_eval_answer_cli_with_fake_model(tmp_path, fixtures_dir):
    r = runner.invoke(app, ["eval", "answer", "--data", str(fixtures_dir / "squad_small.json"), "--model", "fake",
                            "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    # the fake echoes the prompt, which contains neither answer nor "unanswerable"
    m = json.loads((tmp_path / "report.json").read_text())["metrics"]["Summary"]
    assert m["answerable"] == 2 and m["abstained"] == 0 and m["has_answer_exact_match"] == 0.0


def test_eval_retrieval_and_reward_cli(tmp_path, fixtures_dir, tiny_reward_dir):
    r = runner.invoke(app, ["eval", "retrieval", "--data", str(fixtures_dir / "queries.jsonl"), "--docs",
                            str(fixtures_dir / "docs.jsonl"), "--embedder", "hash-512", "--k", "3",
                            "--out", str(tmp_path / "r")])
    assert r.exit_code == 0, r.output
    assert json.loads((tmp_path / "r" / "report.json").read_text())["metrics"]["Summary"]["hit@3"] == 1.0
    r = runner.invoke(app, ["eval", "reward", "--model", str(tiny_reward_dir), "--data",
                            str(fixtures_dir / "prefs.jsonl"), "--out", str(tmp_path / "rm")])
    assert r.exit_code == 0, r.output
    assert json.loads((tmp_path / "rm" / "report.json").read_text())["metrics"]["Summary"]["n"] == 3


def test_eval_help_teaches():
    r = runner.invoke(app, ["eval", "intent", "--help"])
    assert r.exit_code == 0 and "kefu eval intent --data" in r.output
