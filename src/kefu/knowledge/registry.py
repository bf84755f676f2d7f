"""Several named knowledge bases under ``data_dir/kb``, sharing one embedder.

    reg = KnowledgeBaseRegistry(settings)           # kefu.config.Settings
    kb = reg.create("support")                       # KnowledgeBaseExists if it exists
    reg.names()                                      # ["support"]
    reg.open("support"); reg.delete("support")
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from kefu.config import KnowledgeSettings, Settings
from kefu.errors import InvalidRequestError
from kefu.knowledge.embeddings import Embedder, load_embedder
from kefu.knowledge.kb import KnowledgeBase

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")


class KnowledgeBaseNotFound(InvalidRequestError):
    status = 404
    code = "kb_not_found"


class KnowledgeBaseExists(InvalidRequestError):
    status = 409
    code = "kb_exists"


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise InvalidRequestError(f"invalid knowledge base name {name!r}", param="name",
                                  hint="use 1-63 lower-case letters, digits, '-' or '_', starting with a letter or digit")
    return name


class KnowledgeBaseRegistry:
    def __init__(self, settings: Settings, embedder: Embedder | None = None,
                 knowledge: KnowledgeSettings | None = None) -> None:
        self.root = Path(settings.data_dir).expanduser() / "kb"
        self.settings = knowledge or settings.knowledge
        self._embedder = embedder
        self._open: dict[str, KnowledgeBase] = {}
        self._lock = threading.RLock()

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = load_embedder(self.settings.embedder)
        return self._embedder

    def names(self) -> list[str]:
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if (p / "kb.sqlite").is_file())

    def exists(self, name: str) -> bool:
        return (self.root / check_name(name) / "kb.sqlite").is_file()

    def create(self, name: str) -> KnowledgeBase:
        with self._lock:
            if self.exists(name):
                raise KnowledgeBaseExists(f"knowledge base {name!r} already exists",
                                          hint="add files to it, or delete it first")
            return self._load(name)

    def open(self, name: str) -> KnowledgeBase:
        with self._lock:
            if name in self._open:
                return self._open[name]
            if not self.exists(name):
                have = ", ".join(self.names()) or "none"
                raise KnowledgeBaseNotFound(f"no knowledge base named {name!r} (have: {have})",
                                            hint=f"create it with `kefu kb create {name}`")
            return self._load(name)

    def get_or_create(self, name: str) -> KnowledgeBase:
        return self.open(name) if self.exists(name) else self.create(name)

    def delete(self, name: str) -> None:
        with self._lock:
            kb = self.open(name)
            kb.drop()
            self._open.pop(name, None)

    def _load(self, name: str) -> KnowledgeBase:
        kb = KnowledgeBase(check_name(name), self.root, self.embedder, self.settings)
        self._open[name] = kb
        return kb

    def close(self) -> None:
        for kb in self._open.values():
            kb.close()
        self._open.clear()
