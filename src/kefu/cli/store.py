"""`kefu store ...`: the conversation database (migrations, numbers, console accounts)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="The conversation store: schema migrations, statistics, console accounts.",
                  no_args_is_help=True)

ConfigOpt = Annotated[Path | None, typer.Option("--config", "-c", help="YAML settings file (default: ./kefu.yaml).")]
UrlOpt = Annotated[str | None, typer.Option(
    "--url", help="Database URL (default: store.url from the settings, else sqlite in DATA_DIR/kefu.db).")]


def _open(config: Path | None, url: str | None, *, recover: bool = False):  # type: ignore[no-untyped-def]
    from kefu.config import load_settings
    from kefu.store import open_store

    settings = load_settings(config, store={"url": url})
    return open_store(settings, migrate=True, recover=recover)


def _run(fn):  # type: ignore[no-untyped-def]
    from kefu.cli.main import _run as run

    return run(fn)


@app.command()
def migrate(config: ConfigOpt = None, url: UrlOpt = None) -> None:
    """Create or upgrade the database schema to the newest revision (safe to repeat).

    Examples:

      kefu store migrate

      kefu store migrate --url postgresql+psycopg://kefu:secret@db:5432/kefu
    """
    def body() -> None:
        from kefu.store import current_revision

        store = _open(config, url)
        print(f"{store.url}: schema at revision {current_revision(store.engine)} (newest)")
        store.close()

    _run(body)


@app.command()
def stats(config: ConfigOpt = None, url: UrlOpt = None,
          days: Annotated[int, typer.Option(help="Look at the last N days (0 = everything).")] = 30) -> None:
    """Print conversation volume, resolution and handoff rates, feedback and top unanswered questions.

    Example:

      kefu store stats --days 7
    """
    def body() -> None:
        from datetime import UTC, datetime, timedelta

        store = _open(config, url)
        since = datetime.now(UTC) - timedelta(days=days) if days else None
        s = store.summary(since=since)
        print(f"conversations      {s.conversations}")
        print(f"customer messages  {s.customer_messages}")
        print(f"resolution rate    {s.resolution_rate:.1%}")
        print(f"handoff rate       {s.handoff_rate:.1%}  ({s.handoffs} handoffs)")
        print(f"feedback           {s.thumbs_up} up / {s.thumbs_down} down")
        avg = "-" if s.avg_satisfaction is None else f"{s.avg_satisfaction:.2f} / 5"
        print(f"satisfaction       {avg}")
        print(f"interrupted        {s.interrupted}")
        for v in store.volume_per_day(since=since):
            print(f"  {v.day}  {v.conversations:5d} conversations  {v.customer_messages:6d} messages")
        top = store.top_unanswered(limit=10, since=since)
        if top:
            print("top unanswered questions:")
            for u in top:
                print(f"  {u.count:4d}  {u.text}")
        store.close()

    _run(body)


@app.command("add-agent")
def add_agent(username: str, config: ConfigOpt = None, url: UrlOpt = None,
              admin: Annotated[bool, typer.Option("--admin", help="Give console administration rights.")] = False,
              password: Annotated[str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True,
                                                    help="At least 8 characters.")] = "") -> None:
    """Create a console account (prompts for the password).

    Example:

      kefu store add-agent alice --admin
    """
    def body() -> None:
        store = _open(config, url)
        a = store.create_agent(username, password, role="admin" if admin else "agent")
        print(f"created {a.role} {a.username!r} (id {a.id})")
        store.close()

    _run(body)
