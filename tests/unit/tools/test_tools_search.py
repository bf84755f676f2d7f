import json

import pytest

from fixtures.tools import FIXTURES, replay
from kefu.config import ToolsSettings
from kefu.llm.fake import FakeLLM
from kefu.tools.realtime import CANNOT_CHECK, answer_with_search, is_time_sensitive
from kefu.tools.search import DdgsSearch, SearchUnavailable, SearxngSearch, load_search, to_sources

SEARX = (FIXTURES / "searxng_smollm2.json").read_bytes()


def test_searxng_replay_parses_results_and_sends_json_query():
    with replay.ReplayServer({"/search": replay.Reply(200, SEARX)}) as srv:
        results = SearxngSearch(srv.url, timeout_s=2).search("SmolLM2 latest release", max_results=5)
        path, query = srv.requests[0]
    assert path == "/search" and query["q"] == ["SmolLM2 latest release"] and query["format"] == ["json"]
    assert [r.url for r in results] == ["https://huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct",
                                        "https://github.com/huggingface/smollm",
                                        "https://huggingface.co/HuggingFaceTB/SmolLM2-135M-Instruct"]
    assert results[1].date == "2024-11-01T00:00:00" and "November 2024" in results[1].snippet
    sources = to_sources(results)  # duplicate url dropped, numbered from 1
    assert [s.id for s in sources] == [1, 2] and "github.com" in sources[1].citation


@pytest.mark.parametrize("reply,reason", [
    (replay.Reply(429, b'{"error": "too many"}'), "rate_limited"),
    (replay.Reply(403, b"forbidden", content_type="text/plain"), "bad_response"),
    (replay.Reply(200, b"<html>not json</html>", content_type="text/html"), "bad_response"),
    (replay.Reply(200, SEARX, delay_s=1.5), "timeout"),
])
def test_searxng_failures_map_to_search_unavailable(reply, reason):
    with replay.ReplayServer({"/search": reply}) as srv:
        with pytest.raises(SearchUnavailable) as info:
            SearxngSearch(srv.url, timeout_s=0.5).search("q")
    assert info.value.reason == reason


def test_searxng_no_network_is_unavailable():
    with replay.ReplayServer({}) as srv:
        url = srv.url  # the port is closed once the server stops
    with pytest.raises(SearchUnavailable) as info:
        SearxngSearch(url, timeout_s=1).search("q")
    assert info.value.reason == "network" and "cannot reach SearXNG" in info.value.message


class RecordedDDGS:
    """Stands in for ddgs.DDGS: replays a recorded `text()` answer or raises ddgs's own exception."""

    def __init__(self, rows=None, error=None):
        self.rows, self.error, self.calls = rows, error, []

    def text(self, query, **kwargs):
        self.calls.append((query, kwargs))
        if self.error:
            raise self.error
        return self.rows


def test_ddgs_adapter_parses_recorded_rows():
    fake = RecordedDDGS(json.loads((FIXTURES / "ddgs_text_smollm2.json").read_text()))
    results = DdgsSearch(client_factory=lambda: fake).search("smollm2", max_results=1)
    assert len(results) == 1 and results[0].url.startswith("https://huggingface.co/") and results[0].date is None
    assert fake.calls[0] == ("smollm2", {"max_results": 1, "backend": "duckduckgo", "region": "wt-wt"})


def test_ddgs_failures_map_to_search_unavailable():
    from ddgs.exceptions import DDGSException, RatelimitException, TimeoutException

    cases = [(RatelimitException("202 Ratelimit"), "rate_limited"), (TimeoutException("timed out"), "timeout"),
             (DDGSException("ConnectError: dns error"), "network")]
    for error, reason in cases:
        with pytest.raises(SearchUnavailable) as info:
            DdgsSearch(client_factory=lambda e=error: RecordedDDGS(error=e)).search("q")
        assert info.value.reason == reason
    assert DdgsSearch(client_factory=lambda: RecordedDDGS(error=DDGSException("No results found."))).search("q") == []


@pytest.mark.parametrize("text", ["今天上海天气怎么样", "最新的 iPhone 价格是多少", "What's the latest news on the strike?",
                                  "what is the USD exchange rate today", "Is the kettle in stock right now?"])
def test_time_sensitive_questions_are_detected(text):
    assert is_time_sensitive(text)


@pytest.mark.parametrize("text", ["怎么退货？", "How do I reset my password?", "Where do you live?",
                                  "I want to return it now that it broke"])
def test_timeless_questions_are_not(text):
    assert not is_time_sensitive(text)


def test_answer_with_search_cites_numbered_sources():
    llm = FakeLLM(["SmolLM2 comes in 135M, 360M and 1.7B sizes [1] and was released in November 2024 [2]."])
    with replay.ReplayServer({"/search": replay.Reply(200, SEARX)}) as srv:
        result = answer_with_search("latest SmolLM2 release?", llm, SearxngSearch(srv.url, timeout_s=2))
    assert result.status == "ok" and set(result.citations) == {1, 2}
    system = llm.requests[0].messages[0].content
    assert "[1] (HuggingFaceTB/SmolLM2-135M-Instruct" in system and "[2] (GitHub" in system


def test_answer_with_search_disabled_or_failing_says_it_cannot_check():
    llm = FakeLLM()
    off = answer_with_search("今天的金价是多少", llm, None)
    assert off.status == "disabled" and off.text == CANNOT_CHECK["zh"]
    with replay.ReplayServer({"/search": replay.Reply(429, b"{}")}) as srv:
        busy = answer_with_search("latest gold price", llm, SearxngSearch(srv.url, timeout_s=2))
    assert busy.status == "unavailable" and busy.text == CANNOT_CHECK["en"] and "rate_limited" in busy.error
    assert llm.requests == []  # no generation when there is nothing to ground on


def test_load_search_is_off_by_default():
    assert load_search(ToolsSettings()) is None
    assert load_search(ToolsSettings(search_provider="searxng", searxng_url="http://x:1")).name == "searxng"
    assert load_search(ToolsSettings(search_provider="ddgs")).name == "ddgs"
    with pytest.raises(ValueError):
        ToolsSettings(search_provider="google")
