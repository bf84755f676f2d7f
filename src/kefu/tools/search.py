"""Web search behind one small interface: DuckDuckGo (``ddgs`` package) or a self-hosted SearXNG.

    search = load_search(settings.tools)          # None when search is off (the default)
    results = search.search("SmolLM2 release", max_results=5)
    sources = to_sources(results)                 # numbered [1], [2] ... like knowledge-base hits

Every provider raises :class:`SearchUnavailable` (never a raw network error) on a timeout, an
HTTP 429 / rate limit, no network or an unreadable answer; ``reason`` is one of ``timeout``,
``rate_limited``, ``network``, ``bad_response``, so the assistant can say "I can't check that
right now" instead of failing. Limits: no paging; results are whatever the engine returns,
de-duplicated by URL; dates are passed through as the engine writes them (often absent).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import httpx

from kefu.config import ToolsSettings
from kefu.errors import BackendError, ConfigError


@dataclass(frozen=True)
class SearchResult:
    title: str
    url: str
    snippet: str
    date: str | None = None


@dataclass(frozen=True)
class Source:
    """A numbered source for a grounded prompt (same shape the knowledge base's hits offer:
    ``text`` and ``citation``)."""

    id: int
    title: str
    url: str
    text: str
    date: str | None = None

    @property
    def citation(self) -> str:
        when = f", {self.date}" if self.date else ""
        return f"{self.title} — {self.url}{when}"


class SearchUnavailable(BackendError):
    """Search could not be done now; ``reason``: timeout | rate_limited | network | bad_response | disabled."""

    code = "search_unavailable"

    def __init__(self, message: str, *, reason: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint or "try again later, or ask a human agent")
        self.reason = reason


@runtime_checkable
class WebSearch(Protocol):
    name: str

    def search(self, query: str, max_results: int = 5) -> list[SearchResult]:
        """Up to ``max_results`` results; raises :class:`SearchUnavailable` on any failure."""
        ...


def to_sources(results: Sequence[SearchResult]) -> list[Source]:
    """Results -> sources numbered from 1, duplicates (same URL) dropped."""
    seen: set[str] = set()
    out: list[Source] = []
    for r in results:
        if r.url in seen:
            continue
        seen.add(r.url)
        out.append(Source(len(out) + 1, r.title.strip() or r.url, r.url, r.snippet.strip(), r.date))
    return out


class SearxngSearch:
    """A SearXNG instance's JSON API: ``GET {base_url}/search?q=...&format=json``.

    The instance must list ``json`` under ``search.formats`` in its settings.yml (else it answers
    403, reported as ``bad_response`` with that hint).
    """

    name = "searxng"

    def __init__(self, base_url: str, *, timeout_s: float = 8.0, transport: httpx.BaseTransport | None = None,
                 language: str = "auto") -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.language = language
        self._transport = transport

    def search(self, query: str, max_results: int = 5) -> list[SearchResult]:
        params = {"q": query, "format": "json", "language": self.language}
        try:
            with httpx.Client(timeout=self.timeout_s, transport=self._transport) as client:
                resp = client.get(f"{self.base_url}/search", params=params)
        except httpx.TimeoutException as e:
            raise SearchUnavailable(f"SearXNG at {self.base_url} did not answer within {self.timeout_s:g}s",
                                    reason="timeout") from e
        except httpx.TransportError as e:
            raise SearchUnavailable(f"cannot reach SearXNG at {self.base_url}: {e}", reason="network",
                                    hint="is the instance running and the URL (tools.searxng_url) right?") from e
        if resp.status_code == 429:
            raise SearchUnavailable("SearXNG is rate-limiting us (HTTP 429)", reason="rate_limited")
        if resp.status_code == 403:
            raise SearchUnavailable("SearXNG refused the JSON format (HTTP 403)", reason="bad_response",
                                    hint="add 'json' to search.formats in the instance's settings.yml")
        if resp.status_code != 200:
            raise SearchUnavailable(f"SearXNG answered HTTP {resp.status_code}", reason="bad_response")
        try:
            items = resp.json()["results"]
        except (ValueError, KeyError, TypeError) as e:
            raise SearchUnavailable("SearXNG's answer is not the expected JSON", reason="bad_response") from e
        out = [SearchResult(str(i.get("title") or ""), str(i.get("url") or ""), str(i.get("content") or ""),
                            i.get("publishedDate") or None) for i in items if isinstance(i, dict) and i.get("url")]
        return out[:max_results]


class DdgsSearch:
    """DuckDuckGo and friends through the ``ddgs`` metasearch package (``DDGS().text``).

    ``client_factory`` builds the ``DDGS``-like object (tests pass one that replays recorded
    results or raises ddgs's exceptions); ddgs's own HTTP client (primp) only talks to the
    engines' fixed https URLs, so it cannot be pointed at a local replay server.
    """

    name = "ddgs"

    def __init__(self, *, timeout_s: float = 8.0, backend: str = "duckduckgo", region: str = "wt-wt",
                 client_factory: Callable[[], Any] | None = None) -> None:
        self.timeout_s = timeout_s
        self.backend = backend
        self.region = region
        self._factory = client_factory or self._default_client

    def _default_client(self) -> Any:
        from ddgs import DDGS

        return DDGS(timeout=max(1, round(self.timeout_s)))

    def search(self, query: str, max_results: int = 5) -> list[SearchResult]:
        from ddgs.exceptions import DDGSException, RatelimitException, TimeoutException

        try:
            rows = self._factory().text(query, max_results=max_results, backend=self.backend, region=self.region)
        except RatelimitException as e:
            raise SearchUnavailable("the search engine is rate-limiting us", reason="rate_limited") from e
        except TimeoutException as e:
            raise SearchUnavailable(f"web search timed out after {self.timeout_s:g}s", reason="timeout") from e
        except DDGSException as e:
            text = str(e)
            if "No results found" in text:
                return []
            reason = "timeout" if "timed out" in text.lower() else "network"
            raise SearchUnavailable(f"web search failed: {text}", reason=reason) from e
        out = []
        for r in rows or []:
            url = r.get("href") or r.get("url")
            if url:
                out.append(SearchResult(str(r.get("title") or ""), str(url), str(r.get("body") or ""),
                                        r.get("date") or None))
        return out[:max_results]


def load_search(settings: ToolsSettings) -> WebSearch | None:
    """The configured provider, or ``None`` when search is off (``search_provider: none``)."""
    if settings.search_provider == "none":
        return None
    if settings.search_provider == "searxng":
        return SearxngSearch(settings.searxng_url, timeout_s=settings.search_timeout_s)
    if settings.search_provider == "ddgs":
        return DdgsSearch(timeout_s=settings.search_timeout_s)
    raise ConfigError(f"unknown search provider {settings.search_provider!r}", hint="use none, ddgs or searxng")
