"""Time-sensitive questions: detect them, search the web, answer with numbered citations.

    is_time_sensitive("今天上海天气怎么样")          # True
    is_time_sensitive("How do I return an item?")      # False
    result = answer_with_search("latest iPhone price", llm, search)   # search may be None (off)
    result.text, result.sources, result.status          # status: ok | unavailable | disabled

The detector is a keyword list (zh + en), not a model: it errs towards routing to search and
misses paraphrases without a cue word ("what did X announce" with no "latest"/"news").
When search is off or fails, no LLM call is made and ``text`` is a fixed "I can't check that
right now" in the question's language, so the caller can offer a human.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from kefu.llm.base import LLM, GenerationRequest, Message, SamplingParams, collect
from kefu.text import language_of
from kefu.tools.search import SearchUnavailable, Source, WebSearch, to_sources

_EN = (r"today|tonight|tomorrow|yesterday|this (?:week|month|year|morning|evening)|right now|as of now|currently|"
       r"latest|newest|recent(?:ly)?|breaking|news|headlines?|prices?|stocks?|in stock|stock price|"
       r"exchange rates?|weather|forecast|scores?|live score|up[- ]to[- ]date|this season|2\d\d\d")
_ZH = ("今天|今日|明天|昨天|现在|目前|当前|最新|最近|近期|实时|刚刚|新闻|头条|天气|气温|价格|多少钱|股价|股票|"
       "行情|汇率|比分|本周|这周|本月|今年|直播")
_CUES = re.compile(rf"\b(?:{_EN})\b|{_ZH}", re.IGNORECASE)

CANNOT_CHECK = {
    "zh": "抱歉，我现在无法查询实时信息。需要为您转接人工客服吗？",
    "en": "Sorry, I can't check that right now. Would you like me to connect you with a human agent?",
}
SYSTEM = {
    "zh": "你是客服助手。下面是刚刚从网络搜索到的编号结果。只根据这些结果回答，并在用到的句子后标注来源编号，"
          "如 [1]。如果结果中没有答案，就说没有找到。",
    "en": "You are a customer service assistant. Below are numbered web search results fetched just now. "
          "Answer only from them and cite the result number after each sentence that uses it, like [1]. "
          "If they do not contain the answer, say you could not find it.",
}
_CITE = re.compile(r"\[(\d{1,2})\]")


def is_time_sensitive(text: str) -> bool:
    """True when ``text`` asks about something that changes over time (news, prices, weather, today...)."""
    return bool(_CUES.search(text))


def language(text: str) -> str:
    """"zh" or "en" (kefu.text.language_of, English when there are no letters)."""
    return language_of(text, "en")


@dataclass
class WebAnswer:
    question: str
    status: str  # ok | unavailable | disabled | no_results
    text: str = ""
    sources: list[Source] = field(default_factory=list)
    prompt: list[Message] = field(default_factory=list)
    error: str | None = None

    @property
    def citations(self) -> dict[int, Source]:
        """The [n] markers in the answer that point at a source."""
        return {n: self.sources[n - 1] for n in sorted({int(m) for m in _CITE.findall(self.text)})
                if 1 <= n <= len(self.sources)}


def build_prompt(question: str, sources: list[Source], lang: str) -> list[Message]:
    blocks = [f"[{s.id}] ({s.citation})\n{s.text}" for s in sources]
    head = "搜索结果" if lang == "zh" else "Search results"
    return [Message("system", f"{SYSTEM[lang]}\n\n{head}:\n\n" + "\n\n".join(blocks)), Message("user", question)]


def answer_with_search(question: str, llm: LLM, search: WebSearch | None, *, max_results: int = 5,
                       params: SamplingParams | None = None) -> WebAnswer:
    """Search, then answer from the numbered results; never raises for search failures."""
    lang = language(question)
    if search is None:
        return WebAnswer(question, "disabled", CANNOT_CHECK[lang], error="web search is off (tools.search_provider)")
    try:
        results = search.search(question, max_results=max_results)
    except SearchUnavailable as e:
        return WebAnswer(question, "unavailable", CANNOT_CHECK[lang], error=f"{e.reason}: {e.message}")
    sources = to_sources(results)
    if not sources:
        return WebAnswer(question, "no_results", CANNOT_CHECK[lang], error="the search returned nothing")
    prompt = build_prompt(question, sources, lang)
    params = params or SamplingParams(max_tokens=256, temperature=0.2)
    text, _ = collect(_stream(llm, prompt, params))
    return WebAnswer(question, "ok", text.strip(), sources, prompt)


def _stream(llm: LLM, prompt: list[Message], params: SamplingParams) -> Iterator:
    return llm.stream(GenerationRequest(messages=prompt, params=params))
