"""Opt-in live web search (KEFU_LIVE_TESTS=1); deselected otherwise by conftest.py."""

import pytest

from kefu.tools.search import DdgsSearch, to_sources

pytestmark = [pytest.mark.integration, pytest.mark.live]


def test_live_ddgs_search_returns_citable_sources():
    results = DdgsSearch(timeout_s=15).search("Python programming language", max_results=3)
    sources = to_sources(results)
    assert sources and all(s.url.startswith("http") for s in sources)
    assert sources[0].id == 1 and sources[0].title
