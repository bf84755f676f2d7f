"""Structure-aware chunking with sizes in tokens.

Token rule (tokenizer-independent, so chunk boundaries don't move when the embedder changes):
one CJK character (incl. kana/hangul) = 1 token, one run of Latin letters/digits = 1 token, one
other non-space symbol = 1 token. For multilingual-e5 (XLM-R sentencepiece) this is close for
Chinese (~1 piece per character) and undercounts English by ~1.3x, so the default 256-token
chunk stays well inside e5's 512-piece window.

Chunks never cross a section (heading path / PDF page). Inside a section a chunk ends at the
furthest paragraph break in its second half, else the furthest sentence end (Chinese 。！？；… and English .!? followed by a space),
that keeps it within ``max_tokens``; a sentence longer than that is cut between tokens. The next
chunk starts exactly ``overlap`` tokens before the previous chunk's end. Example::

    chunks = chunk_document(doc, max_tokens=256, overlap=32)
    chunks[0].text, chunks[0].heading_path, chunks[0].page, chunks[0].position
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kefu.errors import ConfigError
from kefu.knowledge.loaders import Document, Section

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
TOKEN = re.compile(rf"[{_CJK}]|[A-Za-z0-9\u00c0-\u024f]+|[^\s{_CJK}A-Za-z0-9\u00c0-\u024f]")
_SENT_END_CHARS = set("。！？；!?;…")


def count_tokens(text: str) -> int:
    """kefu tokens in ``text`` (see the module docstring): ``count_tokens("退款 refund policy.") == 5``."""
    return sum(1 for _ in TOKEN.finditer(text))


def token_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in TOKEN.finditer(text)]


@dataclass(frozen=True)
class Chunk:
    """A piece of a document, with where it came from."""

    text: str
    source: str
    heading_path: tuple[str, ...] = ()
    page: int | None = None
    position: int = 0  # 0-based order of the chunk inside its document
    faq_question: str | None = None
    faq_answer: str | None = None
    paraphrases: tuple[str, ...] = ()

    @property
    def index_text(self) -> str:
        """What is embedded and keyword-indexed: the heading path as a title line, then the text."""
        title = " > ".join(self.heading_path)
        return f"{title}\n{self.text}" if title else self.text


def _boundaries(text: str, spans: list[tuple[int, int]]) -> tuple[set[int], set[int]]:
    """Token indices after which a paragraph / a sentence ends (index i = cut after token i)."""
    para, sent = set(), set()
    for i, (s, e) in enumerate(spans):
        nxt = spans[i + 1][0] if i + 1 < len(spans) else len(text)
        gap = text[e:nxt]
        if "\n\n" in gap.replace("\r", "") or i + 1 == len(spans):
            para.add(i)
        ch = text[s:e]
        if ch in _SENT_END_CHARS or (ch == "." and (gap[:1].isspace() or not gap)) or "\n" in gap:
            sent.add(i)
    return para, sent


def chunk_section(section: Section, max_tokens: int, overlap: int) -> list[tuple[str, int, int]]:
    """Split one section: [(text, first token index, end token index)]."""
    text = section.text
    spans = token_spans(text)
    if not spans:
        return []
    para, sent = _boundaries(text, spans)
    out: list[tuple[str, int, int]] = []
    start = 0
    n = len(spans)
    while True:
        limit = min(start + max_tokens, n)  # exclusive end token index
        if limit == n:
            end = n
        else:
            window = range(limit - 1, start, -1)
            end = next((i + 1 for i in window if i in para and i + 1 - start >= max(overlap + 1, max_tokens // 2)), 0) or \
                next((i + 1 for i in window if i in sent and i + 1 - start > overlap), 0) or limit
        out.append((text[spans[start][0]:spans[end - 1][1]], start, end))
        if end == n:
            return out
        start = end - overlap


def chunk_document(doc: Document, max_tokens: int = 256, overlap: int = 32) -> list[Chunk]:
    """All chunks of ``doc``; an FAQ entry is one chunk (question + answer), never split."""
    if max_tokens < 8:
        raise ConfigError(f"chunk size {max_tokens} is too small", hint="use at least 8 tokens")
    if not 0 <= overlap <= max_tokens // 2:
        raise ConfigError(f"chunk overlap {overlap} must be between 0 and half the chunk size ({max_tokens // 2})")
    chunks: list[Chunk] = []
    for section in doc.sections:
        for text, _, _ in chunk_section(section, max_tokens, overlap):
            chunks.append(Chunk(text, doc.source, section.heading_path, section.page, len(chunks)))
    for faq in doc.faqs:
        chunks.append(Chunk(f"{faq.question}\n{faq.answer}", doc.source, (), None, len(chunks),
                            faq.question, faq.answer, faq.paraphrases))
    return chunks
