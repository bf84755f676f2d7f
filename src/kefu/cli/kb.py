"""``kefu kb``: named knowledge bases — create, add files, search, inspect, remove, delete."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(help="Knowledge bases: ingest documents and FAQs, search them (zh + en).\n\n"
                       "  kefu kb create support\n\n  kefu kb add support ./docs faq.xlsx\n\n"
                       "  kefu kb search support '怎么退货'", no_args_is_help=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="YAML settings file (default: ./kefu.yaml).")]
EmbedderOpt = Annotated[str | None, typer.Option("--embedder", help="Embedding model (default: knowledge.embedder).")]
Name = Annotated[str, typer.Argument(help="Knowledge base name (lower-case letters, digits, - and _).")]


def _registry(config: Path | None, embedder: str | None = None) -> Any:
    from kefu.config import load_settings
    from kefu.knowledge.registry import KnowledgeBaseRegistry

    return KnowledgeBaseRegistry(load_settings(config, knowledge={"embedder": embedder}))


def _run(fn: Any) -> Any:
    from kefu.cli.main import _run as run

    return run(fn)


@app.command()
def create(name: Name, config: ConfigOpt = None, embedder: EmbedderOpt = None) -> None:
    """Create an empty knowledge base (records the embedder it will use).

    Example: kefu kb create support --embedder default
    """
    def body() -> None:
        kb = _registry(config, embedder).create(name)
        typer.echo(f"created knowledge base {name!r} ({kb.stats()['embedder']}, store {kb.stats()['store']})")

    _run(body)


@app.command()
def add(name: Name, paths: Annotated[list[str], typer.Argument(help="Files, directories or globs.")],
        config: ConfigOpt = None, embedder: EmbedderOpt = None,
        create_missing: Annotated[bool, typer.Option("--create/--no-create", help="Create the KB if missing.")] = True,
        ) -> None:
    """Add files (txt md html pdf docx csv xlsx jsonl); unchanged files are skipped, changed ones replaced.

    Example: kefu kb add support ./docs ./faq.xlsx "manuals/**/*.pdf"
    """
    def body() -> None:
        reg = _registry(config, embedder)
        kb = reg.get_or_create(name) if create_missing else reg.open(name)
        s = kb.add(paths, progress=True)
        for e in s.errors:
            typer.echo(f"error: {e.source}: {e.reason}", err=True)
        typer.echo(str(s))
        if s.errors and not (s.added or s.replaced or s.skipped):
            raise typer.Exit(1)

    _run(body)


@app.command()
def remove(name: Name, source: Annotated[str, typer.Argument(help="The document path, as `kefu kb stats` lists it.")],
           config: ConfigOpt = None, embedder: EmbedderOpt = None) -> None:
    """Remove one document's chunks.

    Example: kefu kb remove support ./docs/old-prices.md
    """
    def body() -> None:
        if not _registry(config, embedder).open(name).remove(source):
            typer.echo(f"{source} is not in {name!r} (see `kefu kb stats {name}`)", err=True)
            raise typer.Exit(1)
        typer.echo(f"removed {source}")

    _run(body)


@app.command("list")
def list_(config: ConfigOpt = None) -> None:
    """List knowledge bases.

    Example: kefu kb list
    """
    def body() -> None:
        reg = _registry(config)
        names = reg.names()
        if not names:
            typer.echo("no knowledge bases yet: kefu kb create NAME")
        for n in names:
            typer.echo(n)

    _run(body)


@app.command()
def search(name: Name, query: Annotated[str, typer.Argument(help="The question.")],
           k: Annotated[int | None, typer.Option("-k", help="Hits to show.")] = None,
           mode: Annotated[str, typer.Option(help="hybrid | dense | bm25")] = "hybrid",
           source: Annotated[str | None, typer.Option(help="Only this document (filter).")] = None,
           as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
           config: ConfigOpt = None, embedder: EmbedderOpt = None) -> None:
    """Search: FAQ direct answer (if any), then hits with score, reason and source.

    Example: kefu kb search support "怎么退货" -k 3
    """
    def body() -> None:
        kb = _registry(config, embedder).open(name)
        where = {"source": str(Path(source).resolve())} if source else None
        faq = kb.faq_match(query)
        hits = kb.search(query, k, where, mode=mode)
        if as_json:
            typer.echo(json.dumps({"faq": faq.to_dict() if faq else None, "hits": [h.to_dict() for h in hits]},
                                  ensure_ascii=False, indent=2))
            return
        if faq:
            typer.echo(f"FAQ ({faq.score:.2f}): {faq.metadata.get('faq_question')}\n  -> {faq.text}\n")
        for i, h in enumerate(hits, 1):
            typer.echo(f"[{i}] {h.score:.4f} {h.reason:5s} {h.citation}\n    {h.text[:200].replace(chr(10), ' ')}")

    _run(body)


@app.command()
def ask(name: Name, question: Annotated[str, typer.Argument(help="The question.")],
        model: Annotated[str | None, typer.Option("--model", "-m", help="LLM (default: llm.model).")] = None,
        show_prompt: Annotated[bool, typer.Option("--show-prompt", help="Print the exact prompt sent.")] = False,
        config: ConfigOpt = None, embedder: EmbedderOpt = None) -> None:
    """Answer from the knowledge base with citations [n] (or say it is not in there).

    Example: kefu kb ask support "退货运费谁出？"
    """
    import sys

    from kefu.config import load_settings
    from kefu.knowledge.answer import answer, language, load_prompts
    from kefu.knowledge.registry import KnowledgeBaseRegistry
    from kefu.llm.factory import load_llm

    def body() -> None:
        settings = load_settings(config, llm={"model": model}, knowledge={"embedder": embedder})
        kb = KnowledgeBaseRegistry(settings).open(name)
        llm = load_llm(settings.llm)
        d = settings.dialog  # the same prompt as the assistant: deployment templates and persona
        persona = d.persona_zh if language(question) == "zh" else d.persona_en
        res = answer(question, [], llm, kb, persona=persona, prompts=load_prompts(d.prompts_file),
                     examples=d.prompt_examples)
        for piece in res.stream:
            sys.stdout.write(piece)
            sys.stdout.flush()
        sys.stdout.write("\n")
        if res.faq:
            typer.echo(f"\n(FAQ: {res.sources[0].metadata.get('faq_question')} — {res.sources[0].source})")
        for n, hit in res.citations.items():
            typer.echo(f"[{n}] {hit.citation}")
        if show_prompt:
            for m in res.prompt:
                typer.echo(f"--- {m.role}\n{m.content}", err=True)

    _run(body)


@app.command()
def stats(name: Name, config: ConfigOpt = None, embedder: EmbedderOpt = None) -> None:
    """Show a knowledge base's size, embedder, store and documents.

    Example: kefu kb stats support
    """
    def body() -> None:
        kb = _registry(config, embedder).open(name)
        for key, v in kb.stats().items():
            typer.echo(f"{key:14s} {v}")
        for d in kb.documents():
            typer.echo(f"  {d.source}  ({d.kind}, {d.n_chunks} chunks)")

    _run(body)


@app.command()
def delete(name: Name, yes: Annotated[bool, typer.Option("--yes", "-y", help="Don't ask.")] = False,
           config: ConfigOpt = None, embedder: EmbedderOpt = None) -> None:
    """Delete a knowledge base and its vectors (the source files are untouched).

    Example: kefu kb delete old-support --yes
    """
    def body() -> None:
        if not yes and not typer.confirm(f"delete knowledge base {name!r}?"):
            raise typer.Exit(1)
        _registry(config, embedder).delete(name)
        typer.echo(f"deleted {name!r}")

    _run(body)
