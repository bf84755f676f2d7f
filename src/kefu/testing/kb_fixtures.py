"""Small binary fixture files (pdf, docx, xlsx) generated in-process for knowledge tests."""

from __future__ import annotations

from pathlib import Path


def make_pdf(path: Path, pages: list[str]) -> Path:
    """A minimal valid text PDF (Helvetica, one line per page), written by hand: no PDF writer
    library in the dependencies can place text."""
    objs = ["<< /Type /Catalog /Pages 2 0 R >>", ""]
    kids = []
    for text in pages:
        content = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
        page_no, content_no = len(objs) + 1, len(objs) + 2
        kids.append(f"{page_no} 0 R")
        objs.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {content_no} 0 R "
                    f"/Resources << /Font << /F1 {len(pages) * 2 + 3} 0 R >> >> >>")
        objs.append(f"<< /Length {len(content)} >>\nstream\n{content.decode()}\nendstream")
    objs[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(pages)} >>"
    objs.append("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objs, 1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n{body}\nendobj\n".encode()
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    path.write_bytes(bytes(out))
    return path


def make_docx(path: Path) -> Path:
    import docx

    d = docx.Document()
    d.add_heading("Payment methods", level=1)
    d.add_paragraph("We accept Alipay, WeChat Pay and UnionPay cards.")
    d.add_heading("分期付款", level=2)
    d.add_paragraph("订单满1000元可以申请十二期免息分期。")
    t = d.add_table(rows=2, cols=2)
    t.cell(0, 0).text, t.cell(0, 1).text = "method", "fee"
    t.cell(1, 0).text, t.cell(1, 1).text = "credit card", "0%"
    d.save(str(path))
    return path


def make_xlsx(path: Path) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["问题", "答案", "相似问题"])
    ws.append(["支持货到付款吗？", "目前仅支持在线支付，不支持货到付款。", "可以货到付款吗|能到付吗"])
    ws.append(["Do you price match?", "Yes, within 7 days of purchase.", "price match guarantee"])
    wb.save(str(path))
    return path
