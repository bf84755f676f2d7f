"""Progress bars for evaluation runs (tqdm on stderr; silent when stderr is not a terminal
or ``KEFU_PROGRESS=0``)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


def _disabled() -> bool | None:
    return True if os.environ.get("KEFU_PROGRESS") == "0" else None  # None = auto (TTY only)


def bar(total: int, desc: str) -> tqdm:
    """A bar to ``update(n)`` by hand; use as a context manager."""
    return tqdm(total=total, desc=desc, unit="ex", disable=_disabled(), leave=False, dynamic_ncols=True)


def track(items: Iterable[T], desc: str, total: int | None = None) -> Iterator[T]:
    yield from tqdm(items, desc=desc, total=total, unit="ex", disable=_disabled(), leave=False, dynamic_ncols=True)
