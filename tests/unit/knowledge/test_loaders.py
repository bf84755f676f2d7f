from __future__ import annotations

from pathlib import Path

import pytest

from kefu.errors import DataError
from kefu.knowledge.loaders import load_file, load_paths
from kefu.testing.kb_fixtures import make_pdf


def test_markdown_heading_paths(docs_dir: Path):
    doc = load_file(docs_dir / "returns.md")
    paths = [s.heading_path for s in doc.sections]
    assert ("售后服务", "退货政策") in paths and ("Shipping", "International shipping") in paths
    refund = next(s for s in doc.sections if s.heading_path[-1] == "退款时间")
    assert "三个工作日" in refund.text and doc.kind == "text" and len(doc.content_hash) == 64


def test_txt(docs_dir: Path):
    doc = load_file(docs_dir / "warranty.txt")
    assert "one-year manufacturer warranty" in doc.sections[0].text


def test_txt_gb18030(tmp_path: Path):
    p = tmp_path / "gbk.txt"
    p.write_bytes("退货须知：七天内可退。".encode("gb18030"))
    assert "七天内可退" in load_file(p).sections[0].text


def test_html_drops_script_and_keeps_headings(docs_dir: Path):
    doc = load_file(docs_dir / "membership.html")
    text = "\n".join(s.text for s in doc.sections)
    assert "不应出现" not in text and "color" not in text
    assert "100积分抵1元" in text
    expiry = next(s for s in doc.sections if s.heading_path == ("会员权益", "Points expiry"))
    assert "second calendar year" in expiry.text


def test_pdf_pages(docs_dir: Path):
    doc = load_file(docs_dir / "manual.pdf")
    assert [s.page for s in doc.sections] == [1, 2]
    assert "power button" in doc.sections[0].text and "warranty card" in doc.sections[1].text


def test_docx_headings_and_tables(docs_dir: Path):
    doc = load_file(docs_dir / "payment.docx")
    by_path = {s.heading_path: s.text for s in doc.sections}
    assert "Alipay" in by_path[("Payment methods",)]
    assert "十二期免息" in by_path[("Payment methods", "分期付款")]
    assert "credit card | 0%" in by_path[("Payment methods", "分期付款")]


def test_csv_faq_with_paraphrases(docs_dir: Path):
    doc = load_file(docs_dir / "faq.csv")
    assert doc.kind == "faq" and len(doc.faqs) == 2
    assert doc.faqs[0].paraphrases == ("怎么改密码", "忘记密码了怎么办")


def test_xlsx_faq_chinese_headers(docs_dir: Path):
    doc = load_file(docs_dir / "faq2.xlsx")
    assert doc.faqs[0].question == "支持货到付款吗？" and doc.faqs[0].paraphrases == ("可以货到付款吗", "能到付吗")


def test_non_faq_table_becomes_row_sections(tmp_path: Path):
    p = tmp_path / "catalog.csv"
    p.write_text("sku,name,price\nA1,空气炸锅 AirCrisp,399\nB2,Kettle,\n", encoding="utf-8")
    doc = load_file(p)
    assert doc.kind == "text" and doc.sections[0].heading_path == ("A1",)
    assert doc.sections[0].text == "sku: A1\nname: 空气炸锅 AirCrisp\nprice: 399" and "price" not in doc.sections[1].text


def test_jsonl_text_and_faq(docs_dir: Path):
    doc = load_file(docs_dir / "notes.jsonl")
    assert doc.sections[0].heading_path == ("Store hours",) and doc.faqs[0].question == "发票怎么开？"


@pytest.mark.parametrize("name,content,reason", [
    ("empty.txt", b"", "empty"),
    ("blank.md", b"  \n\n", "empty"),
    ("broken.pdf", b"%PDF-1.4\nthis is not really a pdf", "PDF"),
    ("broken.docx", b"PK\x03\x04 not a zip", ".docx"),
    ("noheader.csv", b",\n1,2\n", "name the columns"),
    ("bad.jsonl", b'{"text": "ok"}\n{oops\n', "line 2"),
    ("noanswer.csv", "question,answer\n问题,\n".encode(), "line 2"),
])
def test_bad_files_are_named_with_a_reason(tmp_path: Path, name, content, reason):
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(DataError) as e:
        load_file(p)
    assert name in e.value.message and reason in e.value.message


def test_load_paths_reports_errors_and_loads_the_rest(docs_dir: Path, tmp_path: Path):
    (docs_dir / "empty.txt").write_bytes(b"")
    (docs_dir / "corrupt.pdf").write_bytes(b"%PDF-1.7 garbage")
    make_pdf(docs_dir / "more.pdf", ["Second manual."])
    docs, errors = load_paths([docs_dir, tmp_path / "missing.md", str(docs_dir / "*.nothing")])
    names = {Path(d.source).name for d in docs}
    assert {"returns.md", "warranty.txt", "membership.html", "manual.pdf", "more.pdf", "payment.docx", "faq.csv",
            "faq2.xlsx", "notes.jsonl"} == names
    reasons = {Path(e.source).name: e.reason for e in errors}
    assert "empty" in reasons["empty.txt"] and "PDF" in reasons["corrupt.pdf"]
    assert "no such file" in reasons["missing.md"] and "matches no files" in reasons["*.nothing"]
