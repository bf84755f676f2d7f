from __future__ import annotations

import random

import pytest

from kefu.knowledge.chunker import chunk_document, chunk_section, count_tokens, token_spans
from kefu.knowledge.loaders import Document, FAQEntry, Section

ZH = "我们的退货政策是七天无理由退货。请保留好发票和包装！退款会在三个工作日内到账；如有疑问请联系客服？"
EN = "Standard orders ship within two days. Express costs extra! Do you ship abroad? Yes, to three regions."


def _text(seed: int) -> str:
    rng = random.Random(seed)
    paras = []
    for _ in range(rng.randint(1, 6)):
        sents = [rng.choice([ZH, EN, "x" * rng.randint(1, 3) + " " + "长" * rng.randint(1, 80)]) for _ in
                 range(rng.randint(1, 5))]
        paras.append(" ".join(sents))
    return "\n\n".join(paras)


def test_count_tokens_rule():
    assert count_tokens("退款 refund policy.") == 5
    assert count_tokens("") == 0 and count_tokens("  \n") == 0


@pytest.mark.parametrize("seed", range(25))
@pytest.mark.parametrize("size,overlap", [(16, 0), (32, 8), (64, 16), (200, 40)])
def test_chunk_properties(seed, size, overlap):
    text = _text(seed)
    tokens = [text[s:e] for s, e in token_spans(text)]
    chunks = chunk_section(Section(text), size, overlap)
    # no chunk over the limit
    assert all(count_tokens(c) <= size for c, _, _ in chunks)
    # no text lost: chunks cover every token, in order
    assert chunks[0][1] == 0 and chunks[-1][2] == len(tokens)
    for (_, _, ea), (cb, sb, _) in zip(chunks, chunks[1:], strict=False):
        # overlap exactly as configured: the next chunk starts `overlap` tokens before the end
        assert sb == ea - overlap
        assert [cb[s:e] for s, e in token_spans(cb)][:overlap] == tokens[ea - overlap:ea]
    for c, s, e in chunks:
        assert [c[a:b] for a, b in token_spans(c)] == tokens[s:e]


def test_cuts_at_sentence_ends_when_possible():
    chunks = chunk_section(Section(ZH * 3), 40, 0)
    assert all(c[0][-1] in "。！？；" for c in chunks[:-1])


def test_document_metadata_and_faq_chunks():
    doc = Document("a.md", "text", "h", sections=[Section(EN * 3, ("Shipping", "Times"), None),
                                                 Section("第二页内容。", (), 2)],
                   faqs=[FAQEntry("怎么退货？", "七天内申请。", ("如何退货",))])
    chunks = chunk_document(doc, 24, 4)
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert chunks[0].heading_path == ("Shipping", "Times") and chunks[0].index_text.startswith("Shipping > Times\n")
    assert any(c.page == 2 for c in chunks)
    faq = chunks[-1]
    assert faq.faq_question == "怎么退货？" and faq.paraphrases == ("如何退货",) and faq.source == "a.md"


def test_bad_sizes_are_refused():
    from kefu.errors import ConfigError

    with pytest.raises(ConfigError):
        chunk_document(Document("a", "text", "", [Section("x")]), 16, 9)
