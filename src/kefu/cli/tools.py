"""``kefu tools``: try the assistant's tools by hand — web search, questions over a database, extraction."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(help="Tools: web search with citations, read-only SQL questions, JSON extraction.\n\n"
                       "  kefu tools search 'latest SmolLM2 release' --provider ddgs\n\n"
                       "  kefu tools sql 'how many orders were refunded?' --db demo/orders/orders.db\n\n"
                       "  kefu tools extract 'Xiaohong is 6 and 140 cm.' --schema person.json",
                  no_args_is_help=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="YAML settings file (default: ./kefu.yaml).")]
ModelOpt = Annotated[str | None, typer.Option("--model", "-m", help="LLM (default: llm.model, the bundled model).")]


def _run(fn: Any) -> Any:
    from kefu.cli.main import _run as run

    return run(fn)


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="What to search for.")],
    config: ConfigOpt = None,
    provider: Annotated[str | None, typer.Option(help="none | ddgs | searxng (default: tools.search_provider).")] = None,
    searxng_url: Annotated[str | None, typer.Option(help="SearXNG base URL (default: tools.searxng_url).")] = None,
    max_results: Annotated[int | None, typer.Option("--max-results", "-k", help="Results to show.")] = None,
    answer: Annotated[bool, typer.Option("--answer", help="Also answer from the results with the LLM.")] = False,
    model: ModelOpt = None,
) -> None:
    """Search the web and print numbered sources (web search is off unless a provider is set).

    Examples:

      kefu tools search "SmolLM2 latest release" --provider ddgs

      kefu tools search "今天的新闻" --provider searxng --searxng-url http://127.0.0.1:8888 --answer
    """
    from kefu.config import load_settings
    from kefu.errors import ConfigError
    from kefu.tools.realtime import answer_with_search
    from kefu.tools.search import load_search, to_sources

    def body() -> None:
        s = load_settings(config, llm={"model": model},
                          tools={"search_provider": provider, "searxng_url": searxng_url,
                                 "search_max_results": max_results})
        engine = load_search(s.tools)
        if engine is None and not answer:
            raise ConfigError("web search is off", hint="pass --provider ddgs or searxng, or set tools.search_provider")
        if answer:
            from kefu.llm.factory import load_llm

            result = answer_with_search(query, load_llm(s.llm), engine, max_results=s.tools.search_max_results)
            typer.echo(f"[{result.status}] {result.text}")
            if result.error:
                typer.echo(f"({result.error})", err=True)
            sources = result.sources
        else:
            sources = to_sources(engine.search(query, max_results=s.tools.search_max_results))
        for src in sources:
            typer.echo(f"\n[{src.id}] {src.title}\n    {src.url}" + (f"  ({src.date})" if src.date else ""))
            typer.echo(f"    {src.text}")
        if not sources and not answer:
            typer.echo("no results")

    _run(body)


@app.command()
def sql(
    question: Annotated[str, typer.Argument(help="A question about the data, in plain words.")],
    db: Annotated[str | None, typer.Option("--db", help="SQLite file or postgresql:// URL (default: tools.sql_url).")] = None,
    config: ConfigOpt = None, model: ModelOpt = None,
    show_prompt: Annotated[bool, typer.Option("--show-prompt", help="Print the model's raw answers too.")] = False,
) -> None:
    """Ask a database a question: the LLM writes one SELECT, kefu validates and runs it read-only.

    Only tables and columns in tools.sql_allow are visible; LIMIT tools.sql_row_limit is enforced.

    Example: kefu tools sql "how many orders were refunded?" --db demo/orders/orders.db
    """
    from kefu.config import load_settings
    from kefu.errors import ConfigError
    from kefu.llm.factory import load_llm
    from kefu.tools.sqldb import ReadOnlyDB, policy_for
    from kefu.tools.text2sql import ask_sql

    def body() -> None:
        s = load_settings(config, llm={"model": model}, tools={"sql_url": db})
        if not s.tools.sql_url:
            raise ConfigError("no database given", hint="pass --db PATH.db or set tools.sql_url")
        database = ReadOnlyDB.from_url(s.tools.sql_url, timeout_s=s.tools.sql_timeout_s)
        policy = policy_for(database, s.tools.sql_allow, s.tools.sql_row_limit)
        result = ask_sql(question, load_llm(s.llm), database, policy)
        if show_prompt:
            for i, raw in enumerate(result.raw, 1):
                typer.echo(f"-- model answer {i}:\n{raw}\n")
        typer.echo(f"SQL: {result.sql}\n")
        typer.echo(result.rows.table())

    _run(body)


@app.command()
def extract(
    text: Annotated[str, typer.Argument(help="The text to extract from ('-' reads standard input).")],
    schema: Annotated[Path, typer.Option("--schema", help="A JSON-schema file describing the output.")],
    config: ConfigOpt = None, model: ModelOpt = None,
    attempts: Annotated[int, typer.Option(help="Tries before giving up (errors are fed back).")] = 3,
) -> None:
    """Extract JSON matching a JSON schema from text; invalid output is retried with the error.

    Example: kefu tools extract "Xiaohong is 6 and 140 cm." --schema tests/fixtures/tools/person_schema.json
    """
    import sys

    from kefu.config import load_settings
    from kefu.errors import ConfigError
    from kefu.llm.factory import load_llm
    from kefu.tools.extract import extract as run_extract

    def body() -> None:
        if not schema.is_file():
            raise ConfigError(f"schema file {schema} not found", hint="give a JSON-schema file to --schema")
        try:
            spec = json.loads(schema.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise ConfigError(f"{schema} line {e.lineno}: not valid JSON ({e.msg})") from e
        s = load_settings(config, llm={"model": model})
        data = run_extract(sys.stdin.read() if text == "-" else text, spec, load_llm(s.llm), attempts=attempts)
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))

    _run(body)
