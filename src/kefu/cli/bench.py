"""`kefu bench`: one entry point for the benchmarks in bench/ (a source checkout's folder).

Each benchmark is a script that prints its figures and writes bench/results/NAME.json with the
machine's description; `kefu bench all` runs the speed benchmarks one after another.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Run kefu's benchmarks (results in bench/results/).\n\n"
                  "Examples:\n\n  kefu bench list\n\n  kefu bench run llm_speed\n\n"
                  "  kefu bench run load_test -- --levels 1,2,4\n\n  kefu bench all",
                  no_args_is_help=True)

# the speed benchmarks `all` runs, in order (quality benchmarks take the data path: run them by name)
SPEED = ("llm_speed", "kb_speed", "load_test", "train_throughput")


def bench_dir() -> Path:
    d = Path(__file__).resolve().parents[3] / "bench"
    if not d.is_dir():
        from kefu.errors import ConfigError

        raise ConfigError(f"no bench/ folder at {d}", hint="benchmarks run from a kefu source checkout")
    return d


def _scripts() -> dict[str, Path]:
    return {p.stem: p for p in sorted(bench_dir().glob("*.py")) if not p.stem.startswith("_")}


@app.command("list")
def list_cmd() -> None:
    """List the benchmarks with the first line of their description."""
    for name, path in _scripts().items():
        doc = path.read_text(encoding="utf-8").split('"""')[1].strip().splitlines()[0] if '"""' in \
            path.read_text(encoding="utf-8") else ""
        print(f"{name:20s} {doc}")


def _run(name: str, extra: list[str]) -> int:
    scripts = _scripts()
    if name not in scripts:
        print(f"error: no benchmark {name!r}; `kefu bench list` shows them", file=sys.stderr)
        raise typer.Exit(2)
    print(f"== {name} ==", flush=True)
    return subprocess.call([sys.executable, str(scripts[name]), *extra])


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def run(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Benchmark name (see `kefu bench list`).")]
        ) -> None:
    """Run one benchmark; arguments after the name go to its script (`--help` shows them)."""
    raise typer.Exit(_run(name, list(ctx.args)))


@app.command("all")
def all_cmd() -> None:
    """Run the speed benchmarks (llm_speed, kb_speed, load_test, train_throughput); stops at the first failure."""
    for name in SPEED:
        code = _run(name, [])
        if code:
            raise typer.Exit(code)
