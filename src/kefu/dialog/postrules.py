"""Post-rules: what an answer must pass before a customer sees it.

Each check is a small pure function; :class:`PostRules.apply` runs them in order and
returns the cleaned text plus a list of problems the policy must act on (regenerate, quote
the best passage, or hand off):

- ``forbidden``: configurable sensitive/forbidden words are masked (``***``) and reported;
- ``dedupe``: repeated sentences (small models loop) are removed, first occurrence kept;
- ``length``: cut at the last sentence end within ``max_chars``;
- ``citations``: every ``[n]`` must point at one of the ``n_sources`` given; unknown ones are
  removed from the text and reported as ``bad_citation``; an answer built on sources that
  cites none is reported as ``no_citation``;
- ``language``: an answer in another language than the question is reported as
  ``wrong_language``.

Example::

    >>> r = PostRules(forbidden=["guarantee"], max_chars=200)
    >>> out = r.apply("We guarantee delivery [1]. We guarantee delivery [1]. See [7].",
    ...               question="When will it arrive?", n_sources=2)
    >>> out.text
    'We *** delivery [1]. See.'
    >>> sorted(out.problems)
    ['bad_citation', 'forbidden_word']
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from kefu.text import language_of

SENTENCE = re.compile(r"[^。！？!?；;.\n]+(?:[。！？!?；;]+|\.(?=\s|$)|\n|$)")
CITATION = re.compile(r"\s?\[(\d{1,3})\]")


# the model saying the sources lack the answer (the prompt tells it to say so), in either language
DONT_KNOW = re.compile(r"\b(?:i\s+(?:do\s*n[o']t|don’t)\s+know|not\s+(?:mentioned|covered)\s+in\s+the\s+sources|"
                       r"the\s+sources\s+(?:do\s+not|don't)\s+(?:say|contain|mention))\b|不知道|资料中没有|无法回答",
                       re.IGNORECASE)


def says_dont_know(text: str) -> bool:
    """True when an uncited answer is the model declining (``"I don't know; ..."``, ``"资料中没有…"``).

    ``says_dont_know("I don't know; the sources say nothing about gift wrapping.")`` -> ``True``
    """
    return bool(DONT_KNOW.search(text)) and not CITATION.search(text)


def sentences(text: str) -> list[str]:
    return [s for s in (m.group(0) for m in SENTENCE.finditer(text)) if s.strip()]


def dedupe_sentences(text: str) -> str:
    seen: set[str] = set()
    kept: list[str] = []
    for s in sentences(text):
        key = re.sub(r"\W+", "", CITATION.sub("", s)).lower()
        if key and key in seen:
            continue
        seen.add(key)
        kept.append(s)
    return "".join(kept).strip()


def limit_length(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    out = ""
    for s in sentences(text):
        if len(out) + len(s) > max_chars:
            break
        out += s
    return (out or text[:max_chars]).strip()


@dataclass
class Checked:
    text: str
    problems: list[str] = field(default_factory=list)
    citations: list[int] = field(default_factory=list)


class PostRules:
    def __init__(self, *, forbidden: Sequence[str] = (), max_chars: int = 1200) -> None:
        self.forbidden = [w for w in forbidden if w]
        self._forbidden = [re.compile(re.escape(w), re.IGNORECASE) for w in self.forbidden]
        self.max_chars = max_chars

    def apply(self, text: str, *, question: str = "", n_sources: int = 0) -> Checked:
        out = Checked(text.strip())
        for pattern in self._forbidden:
            if pattern.search(out.text):
                out.text = pattern.sub("***", out.text)
                if "forbidden_word" not in out.problems:
                    out.problems.append("forbidden_word")
        out.text = dedupe_sentences(out.text)
        out.text = limit_length(out.text, self.max_chars)

        def keep(m: re.Match[str]) -> str:
            n = int(m.group(1))
            if 1 <= n <= n_sources:
                if n not in out.citations:
                    out.citations.append(n)
                return m.group(0)
            if "bad_citation" not in out.problems:
                out.problems.append("bad_citation")
            return ""

        out.text = CITATION.sub(keep, out.text).strip()
        if n_sources and not out.citations:
            out.problems.append("no_citation")
        q_lang, a_lang = language_of(question), language_of(out.text)
        if q_lang and a_lang and q_lang != a_lang:
            out.problems.append("wrong_language")
        return out
