"""Unit tests for ingest.loaders: every supported format, bad inputs and folder expansion."""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import shutil
import zipfile
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader, PdfWriter

from ingest.loaders import (
    SUPPORTED_EXTENSIONS,
    LoadError,
    iter_files,
    load_file,
    normalize_text,
    parse_date,
)
from ingest.records import Document, sha256_text

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
TEXT_PDF = FIXTURES / "598us1r3_j4ek.pdf"
FORM_PDF = FIXTURES / "std270.pdf"
SCANNED_PDF = FIXTURES / "dr_a_order.pdf"
EO_MARKDOWN = REPO / "data" / "demo_corpus" / "eo2025" / "04-April" / "2025-04-02-executive-order-14257.md"


def write(tmp_path: Path, name: str, content: str | bytes, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
    return path


def load_one(path: Path, source: str | None = None) -> Document:
    docs = load_file(path, source or path.name)
    assert len(docs) == 1
    return docs[0]


def load_error(path: Path) -> str:
    with pytest.raises(LoadError) as info:
        load_file(path, path.name)
    message = str(info.value)
    assert "\n" not in message
    assert str(path.parent) not in message
    return message


# ---------------------------------------------------------------------------
# Helpers


def test_supported_extensions() -> None:
    assert SUPPORTED_EXTENSIONS == frozenset(
        {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".json", ".jsonl"}
    )


def test_normalize_text() -> None:
    raw = "\ufeffTitle  \r\nline\ttab\x00\x07 end \rnext\n\n\n\n  \n\nlast para\x0cnew page   \n"
    assert normalize_text(raw) == "\ufeffTitle\nline\ttab end\nnext\n\nlast para\n\nnew page"
    assert normalize_text(" \n\t \n") == ""
    assert normalize_text("a\n\n\nb") == normalize_text(normalize_text("a\n\n\nb")) == "a\n\nb"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("April 02, 2025", "2025-04-02"),
        ("Wednesday, April 2, 2025", "2025-04-02"),
        ("2 Apr 2025", "2025-04-02"),
        ("2nd of April, 2025", "2025-04-02"),
        ("Sept. 30, 2024", "2024-09-30"),
        ("2025-04-02", "2025-04-02"),
        ("2025-04-02T10:30:00Z", "2025-04-02"),
        ("D:20230328160720-04'00'", "2023-03-28"),
        ("04/02/2025", "2025-04-02"),
        ("2025-02-30", None),
        ("sometime in spring", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_date(value: str | None, expected: str | None) -> None:
    assert parse_date(value) == expected


# ---------------------------------------------------------------------------
# Plain text


def test_plain_text(tmp_path: Path) -> None:
    path = write(tmp_path, "notes/policy.txt", "Leave Policy  \r\nDate: 2025-04-02\r\n\r\n\r\n\r\nStaff get 25 days.\r\n")
    doc = load_one(path, "notes/policy.txt")
    assert doc.source == "notes/policy.txt"
    assert doc.text == "Leave Policy\nDate: 2025-04-02\n\nStaff get 25 days."
    assert doc.title == "Leave Policy"
    assert doc.date == "2025-04-02"
    assert doc.doc_type == "text"
    assert doc.pages == []
    assert doc.url is None
    assert doc.content_hash == sha256_text(doc.text)


def test_a_text_that_opens_with_a_paragraph_is_titled_by_its_opening_words(tmp_path: Path) -> None:
    """A news article saved without its headline is shown by what it says, not by its file name (issue 19)."""
    path = write(tmp_path, "long-line.txt", "word " * 100)
    assert load_one(path).title == ("word " * 20).strip() + "…"
    news = Path(__file__).resolve().parents[2] / "data" / "demo_corpus" / "seed_india_russia.txt"
    title = load_one(news).title
    assert title.startswith("New Delhi: India and Russia on Wednesday signed a new protocol") and title.endswith("…")
    assert len(title) <= 101
    lede = write(tmp_path, "lede.txt", "Ports reopen after the strike. " + "The union and the employers agreed. " * 8)
    assert load_one(lede).title == "Ports reopen after the strike."


def test_text_title_skips_lines_without_letters(tmp_path: Path) -> None:
    assert load_one(write(tmp_path, "a.txt", "=====\n\nReal title\nbody")).title == "Real title"


SAMPLE = "Café résumé naïve déjà vu. Señor Müller, Größe, garçon."


def test_windows_1252_text(tmp_path: Path) -> None:
    content = f"Politique de confidentialité\n{SAMPLE} “Quoted” — 5 €.\n"
    doc = load_one(write(tmp_path, "cp1252.txt", content, encoding="cp1252"))
    assert doc.text == content.strip()
    assert doc.title == "Politique de confidentialité"


def test_latin1_text(tmp_path: Path) -> None:
    content = f"Über die Nutzung\n{SAMPLE}\n"
    doc = load_one(write(tmp_path, "latin1.txt", content, encoding="latin-1"))
    assert doc.text == content.strip()


def test_short_latin1_word(tmp_path: Path) -> None:
    assert load_one(write(tmp_path, "short.txt", "Café\n", encoding="latin-1")).text == "Café"


def test_utf8_bom_is_stripped(tmp_path: Path) -> None:
    doc = load_one(write(tmp_path, "bom.txt", b"\xef\xbb\xbfH\xc3\xa9llo title\nbody\n"))
    assert doc.text == "Héllo title\nbody"
    assert doc.title == "Héllo title"


def test_utf16_with_bom(tmp_path: Path) -> None:
    doc = load_one(write(tmp_path, "utf16.txt", "Títle\nbody text\n".encode("utf-16")))
    assert doc.text == "Títle\nbody text"


def test_cyrillic_cp1251_text(tmp_path: Path) -> None:
    content = "Политика конфиденциальности: данные хранятся ограниченное время.\n"
    assert load_one(write(tmp_path, "ru.txt", content * 3, encoding="cp1251")).title == content.strip()


def test_utf8_with_a_damaged_byte_stays_utf8(tmp_path: Path) -> None:
    data = "Größe – “ok” über alles. ".encode() * 5 + b"\xff end\n"
    doc = load_one(write(tmp_path, "damaged.txt", data))
    assert doc.text.startswith("Größe – “ok” über alles.")
    assert doc.text.endswith("\ufffd end")


def test_invalid_utf8_never_crashes(tmp_path: Path) -> None:
    doc = load_one(write(tmp_path, "mixed.txt", "naïve ".encode() + b"\x81\x8d caf\xe9 text\n"))
    assert "text" in doc.text


def test_random_binary_is_rejected(tmp_path: Path) -> None:
    data = random.Random(1234).randbytes(4096)
    assert load_error(write(tmp_path, "blob.txt", data)) == "binary file, not text"


def test_control_heavy_bytes_are_binary(tmp_path: Path) -> None:
    data = bytes(range(1, 9)) * 100 + b"some text"
    assert load_error(write(tmp_path, "ctl.md", data)) == "binary file, not text"


@pytest.mark.parametrize("name", ["empty.txt", "empty.md", "empty.html", "empty.pdf", "empty.docx", "empty.json"])
def test_empty_file(tmp_path: Path, name: str) -> None:
    assert load_error(write(tmp_path, name, b"")) == "empty file"


@pytest.mark.parametrize("name", ["blank.txt", "blank.md", "blank.jsonl"])
def test_whitespace_only_file(tmp_path: Path, name: str) -> None:
    assert load_error(write(tmp_path, name, " \n\t\r\n   \n")) == "empty file"


def test_unsupported_extension(tmp_path: Path) -> None:
    message = load_error(write(tmp_path, "data.xyz", "hello"))
    assert message.startswith("unsupported file type .xyz; supported: ")
    assert ".pdf" in message and ".docx" in message and ".md" in message


def test_missing_file(tmp_path: Path) -> None:
    assert load_error(tmp_path / "nope.txt").startswith("cannot read file: ")


def test_directory_with_supported_suffix(tmp_path: Path) -> None:
    (tmp_path / "folder.md").mkdir()
    assert load_error(tmp_path / "folder.md").startswith("cannot read file: ")


# ---------------------------------------------------------------------------
# Markdown

MARKDOWN = """\
# **Remote Work** Policy

**Date:** April 02, 2025

## Scope

Applies to *all* staff; see [the handbook](https://example.org/h).

```python
# not a title
x = 1
```
"""


def test_markdown_title_date_and_verbatim_syntax(tmp_path: Path) -> None:
    doc = load_one(write(tmp_path, "remote.md", MARKDOWN))
    assert doc.title == "Remote Work Policy"
    assert doc.date == "2025-04-02"
    assert doc.doc_type == "markdown"
    assert doc.text == MARKDOWN.strip()
    assert "**Date:** April 02, 2025" in doc.text
    assert "[the handbook](https://example.org/h)" in doc.text


def test_markdown_without_h1_uses_first_line(tmp_path: Path) -> None:
    doc = load_one(write(tmp_path, "guide.markdown", "## Section **One**\n\nBody."))
    assert doc.title == "Section One"
    doc = load_one(write(tmp_path, "guide2.markdown", "## Section **One**\n\nBody.\n\n# Later H1\n"))
    assert doc.title == "Later H1"
    doc = load_one(write(tmp_path, "guide3.md", "Plain first line\n\nDate: 2024-12-31\n"))
    assert doc.title == "Plain first line"
    assert doc.date == "2024-12-31"


def test_markdown_front_matter_title(tmp_path: Path) -> None:
    doc = load_one(write(tmp_path, "fm.md", '---\ntitle: "Travel Policy"\ndate: 2023-05-06\n---\n\nBody text.\n'))
    assert doc.title == "Travel Policy"
    assert doc.date == "2023-05-06"
    assert doc.text.startswith("---\ntitle:")


def test_markdown_h1_in_code_fence_is_ignored(tmp_path: Path) -> None:
    doc = load_one(write(tmp_path, "fence.md", "Intro line\n\n```\n# comment\n```\n"))
    assert doc.title == "Intro line"


def test_real_executive_order_markdown(tmp_path: Path) -> None:
    path = tmp_path / "eo2025" / EO_MARKDOWN.name
    path.parent.mkdir()
    shutil.copy(EO_MARKDOWN, path)
    doc = load_one(path, f"eo2025/{path.name}")
    assert doc.source == f"eo2025/{path.name}"
    assert doc.title.startswith("Executive Order 14257: Regulating Imports With a Reciprocal Tariff")
    assert "#" not in doc.title
    assert doc.date == "2025-04-02"
    assert doc.doc_type == "markdown"
    assert "**Date:** April 02, 2025" in doc.text
    assert "\r" not in doc.text and "\n\n\n" not in doc.text


# ---------------------------------------------------------------------------
# HTML

HTML = """<!DOCTYPE html>
<html><head>
<title>  Data Retention
  Policy </title>
<meta name="date" content="2024-03-15">
<link rel="canonical" href="https://example.org/policies/retention">
<style>body { color: red; }</style>
<script>var secret = "do not index";</script>
</head>
<body>
<nav><a href="/">Home</a> | <a href="/about">About us</a></nav>
<header>Site banner</header>
<div class="content">
  <h1>Retention rules</h1>
  <p>Records are kept for <b>seven</b>
     years.<br>Then they are deleted.</p>
  <p>Never write &lt;script&gt; tags &amp; such into records.</p>
  <!-- a comment -->
  <ul><li>Emails: 2 years</li><li>Invoices: 10 years</li></ul>
  <table><tr><th>Type</th><th>Years</th></tr><tr><td>HR</td><td><p>5</p></td></tr></table>
  <pre>line one
    indented line</pre>
  <noscript>Enable JS</noscript>
  <form><label>Search</label><input name="q"></form>
  <div hidden>hidden text</div>
</div>
<aside>Related links</aside>
<footer>Copyright 2024</footer>
</body></html>
"""


def test_html_main_text(tmp_path: Path) -> None:
    doc = load_one(write(tmp_path, "retention.html", HTML))
    assert doc.doc_type == "html"
    assert doc.title == "Data Retention Policy"
    assert doc.date == "2024-03-15"
    assert doc.url == "https://example.org/policies/retention"
    assert doc.text == (
        "Retention rules\n\n"
        "Records are kept for seven years.\nThen they are deleted.\n\n"
        "Never write <script> tags & such into records.\n\n"
        "Emails: 2 years\n\n"
        "Invoices: 10 years\n\n"
        "Type | Years\n\n"
        "HR | 5\n\n"
        "line one\n    indented line"
    )
    for dropped in ("secret", "color", "Home", "Site banner", "Related", "Copyright", "Enable JS", "Search",
                    "hidden text", "a comment"):
        assert dropped not in doc.text


def test_html_prefers_main_and_og_url(tmp_path: Path) -> None:
    html = """<html><head><meta property="og:url" content="https://example.org/x">
    <meta property="article:published_time" content="2025-01-05T08:00:00+00:00"></head>
    <body><div>Sidebar junk</div><main><article><header><h1>Headline</h1></header>
    <p>Main body.</p><footer>Share this</footer></article></main></body></html>"""
    doc = load_one(write(tmp_path, "page.htm", html))
    assert doc.text == "Headline\n\nMain body."
    assert doc.title == "Headline"
    assert doc.url == "https://example.org/x"
    assert doc.date == "2025-01-05"


def test_html_declared_charset(tmp_path: Path) -> None:
    html = '<html><head><meta charset="iso-8859-1"><title>Résumé</title></head><body><p>Café “ok”</p></body></html>'
    doc = load_one(write(tmp_path, "latin.html", html, encoding="cp1252"))
    assert doc.title == "Résumé"
    assert doc.text == "Café “ok”"


def test_html_without_title_uses_stem_or_h1(tmp_path: Path) -> None:
    assert load_one(write(tmp_path, "no-title.html", "<p>Just text.</p>")).title == "Just text."
    assert load_one(write(tmp_path, "h1.html", "<h1>Heading</h1><p>x</p>")).title == "Heading"


def test_html_without_visible_text(tmp_path: Path) -> None:
    message = load_error(write(tmp_path, "blank.html", "<html><script>x=1</script><body> </body></html>"))
    assert message == "no visible text in HTML"


# ---------------------------------------------------------------------------
# PDF


def test_text_pdf_page_spans() -> None:
    doc = load_one(TEXT_PDF, "598us1r3_j4ek.pdf")
    assert doc.doc_type == "pdf"
    assert doc.title == "PRELIMINARY PRINT"
    assert doc.date == "2023-03-28"
    assert [span.page for span in doc.pages] == list(range(1, 25))

    reader = PdfReader(TEXT_PDF)
    expected = [normalize_text(page.extract_text()) for page in reader.pages]
    assert doc.pages[0].start == 0
    assert doc.pages[-1].end == len(doc.text)
    for span, previous in zip(doc.pages[1:], doc.pages, strict=False):
        assert span.start == previous.end + 2
        assert doc.text[previous.end : span.start] == "\n\n"
    for span, page_text in zip(doc.pages, expected, strict=True):
        assert span.start < span.end
        assert doc.text[span.start : span.end] == page_text
        assert doc.page_at(span.start) == span.page
        assert doc.page_at(span.end - 1) == span.page
    assert "CRUZ v. ARIZONA" in doc.text


def test_form_pdf_loads_with_metadata_title() -> None:
    doc = load_one(FORM_PDF, "std270.pdf")
    assert doc.title == "STD 270 Vehicle Accident Report"
    assert doc.date == "2025-12-11"
    assert [span.page for span in doc.pages] == [1, 2]
    assert "VEHICLE ACCIDENT REPORT" in doc.text
    assert "DESCRIBE DAMAGES" in " ".join(doc.text.split())
    for span in doc.pages:
        assert doc.text[span.start : span.end].strip()


def test_scanned_pdf_needs_ocr() -> None:
    message = load_error(SCANNED_PDF)
    assert message == "no text layer (scanned PDF?): run OCR on it first, e.g. ocrmypdf"
    assert "OCR" in message


def _pdf_bytes(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def test_password_protected_pdf(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=FORM_PDF)
    writer.encrypt("secret")
    path = write(tmp_path, "locked.pdf", _pdf_bytes(writer))
    assert load_error(path) == "encrypted PDF (password protected)"


def test_pdf_with_owner_password_only_opens(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=FORM_PDF)
    writer.encrypt(user_password="", owner_password="owner-only")
    doc = load_one(write(tmp_path, "owner.pdf", _pdf_bytes(writer)))
    assert "VEHICLE ACCIDENT REPORT" in doc.text


def test_an_aes_encrypted_pdf_that_opens_without_a_password_is_read(tmp_path: Path) -> None:
    """AES needs the `cryptography` package, a dependency: without it such a PDF was refused (issue 20)."""
    for algorithm in ("AES-128", "AES-256"):
        writer = PdfWriter(clone_from=FORM_PDF)
        writer.encrypt(user_password="", owner_password="owner-only", algorithm=algorithm)
        doc = load_one(write(tmp_path, f"{algorithm}.pdf", _pdf_bytes(writer)))
        assert "VEHICLE ACCIDENT REPORT" in doc.text


def test_blank_page_pdf_has_no_text_layer(tmp_path: Path) -> None:
    writer = PdfWriter()
    writer.add_blank_page(612, 792)
    path = write(tmp_path, "blank.pdf", _pdf_bytes(writer))
    assert load_error(path).startswith("no text layer (scanned PDF?)")


@pytest.mark.parametrize("source", [TEXT_PDF, FORM_PDF])
def test_truncated_pdf(tmp_path: Path, source: Path) -> None:
    path = write(tmp_path, "truncated.pdf", source.read_bytes()[:2000])
    assert load_error(path).startswith("corrupt PDF: ")


def test_not_a_pdf(tmp_path: Path) -> None:
    assert load_error(write(tmp_path, "fake.pdf", "just some text")).startswith("corrupt PDF: ")


# ---------------------------------------------------------------------------
# DOCX


def _make_docx(path: Path, core_title: str = "", created: dt.datetime | None = None) -> Path:
    document = docx.Document()
    document.core_properties.title = core_title
    document.core_properties.created = created or dt.datetime(2022, 6, 1, 9, 0, 0)
    document.add_paragraph("Internal use only")
    document.add_heading("Expense Policy", level=1)
    document.add_paragraph("Receipts are required   for claims.")
    document.add_paragraph("")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "Item"
    table.cell(0, 1).text = "Limit"
    table.cell(1, 0).text = "Hotel"
    table.cell(1, 1).text = "150 EUR"
    document.add_paragraph("Approved by the board.")
    document.save(path)
    return path


def test_docx_text_tables_and_heading_title(tmp_path: Path) -> None:
    doc = load_one(_make_docx(tmp_path / "expenses.docx"))
    assert doc.doc_type == "docx"
    assert doc.text == (
        "Internal use only\n\nExpense Policy\n\nReceipts are required   for claims.\n\n"
        "Item | Limit\n\nHotel | 150 EUR\n\nApproved by the board."
    )
    assert doc.title == "Expense Policy"
    assert doc.date == "2022-06-01"


def test_docx_core_title_wins(tmp_path: Path) -> None:
    doc = load_one(_make_docx(tmp_path / "expenses.docx", core_title="Travel & Expenses"))
    assert doc.title == "Travel & Expenses"


def test_docx_date_line_beats_created(tmp_path: Path) -> None:
    document = docx.Document()
    document.add_paragraph("Date: 1 March 2021")
    document.add_paragraph("Body")
    document.save(tmp_path / "dated.docx")
    assert load_one(tmp_path / "dated.docx").date == "2021-03-01"


def test_corrupt_docx(tmp_path: Path) -> None:
    assert load_error(write(tmp_path, "old.docx", b"\xd0\xcf\x11\xe0 not a zip")).startswith("corrupt DOCX: ")
    zip_buffer = io.BytesIO()
    with zipfile.ZipFile(zip_buffer, "w") as archive:
        archive.writestr("hello.txt", "not a docx")
    assert load_error(write(tmp_path, "zip.docx", zip_buffer.getvalue())).startswith("corrupt DOCX: ")
    real = _make_docx(tmp_path / "real.docx").read_bytes()
    assert load_error(write(tmp_path, "cut.docx", real[: len(real) // 2])).startswith("corrupt DOCX: ")


def test_docx_without_text(tmp_path: Path) -> None:
    document = docx.Document()
    document.save(tmp_path / "blank.docx")
    assert load_error(tmp_path / "blank.docx") == "empty document (no text)"


# ---------------------------------------------------------------------------
# JSON / JSONL


def test_jsonl_records(tmp_path: Path) -> None:
    lines = [
        {"text": "First record body.", "title": "One", "url": "https://example.org/1", "date": "2024-01-02"},
        {"content": "Second via content."},
        {"title": "no text here"},
        {"body": "Third via body.\r\nSecond line.", "id": "abc"},
    ]
    raw = "\n".join(json.dumps(line) for line in lines) + "\n\n"
    docs = load_file(write(tmp_path, "name.jsonl", raw), "sub/name.jsonl")
    assert [d.source for d in docs] == ["sub/name.jsonl#0", "sub/name.jsonl#1", "sub/name.jsonl#abc"]
    assert [d.text for d in docs] == ["First record body.", "Second via content.", "Third via body.\nSecond line."]
    assert docs[0].title == "One"
    assert docs[0].url == "https://example.org/1"
    assert docs[0].date == "2024-01-02"
    assert docs[1].title == "Second via content."
    assert all(d.doc_type == "json" for d in docs)
    assert all(d.content_hash == sha256_text(d.text) for d in docs)


@pytest.mark.parametrize(
    "payload",
    [
        [{"id": 7, "text": "Alpha"}, {"text": "Beta", "title": "B"}],
        {"documents": [{"id": 7, "text": "Alpha"}, {"text": "Beta", "title": "B"}]},
    ],
)
def test_json_list_and_documents_key(tmp_path: Path, payload: object) -> None:
    docs = load_file(write(tmp_path, "name.json", json.dumps(payload)), "name.json")
    assert [d.source for d in docs] == ["name.json#7", "name.json#1"]
    assert [d.title for d in docs] == ["Alpha", "B"]


def test_json_single_object(tmp_path: Path) -> None:
    doc = load_one(write(tmp_path, "one.json", json.dumps({"text": "Only one", "date": "March 3, 2020"})))
    assert doc.source == "one.json#0"
    assert doc.date == "2020-03-03"


def test_json_duplicate_ids_stay_unique(tmp_path: Path) -> None:
    docs = load_file(write(tmp_path, "d.json", json.dumps([{"id": "x", "text": "a"}, {"id": "x", "text": "b"}])), "d.json")
    assert len({d.source for d in docs}) == 2


def test_invalid_json(tmp_path: Path) -> None:
    message = load_error(write(tmp_path, "bad.json", '[\n{"text": "ok"},\n{"text": oops}\n]'))
    assert message.startswith("invalid JSON: line 3: ")


def test_invalid_jsonl_line(tmp_path: Path) -> None:
    message = load_error(write(tmp_path, "bad.jsonl", '{"text": "ok"}\n\n{"text": \n'))
    assert message.startswith("invalid JSON: line 3: ")


@pytest.mark.parametrize("payload", ['[{"title": "x"}, 5, "str"]', '{"documents": []}', "42", '{"text": "   "}'])
def test_json_without_text_records(tmp_path: Path, payload: str) -> None:
    assert load_error(write(tmp_path, "none.json", payload)) == "no records with a 'text' field"


# ---------------------------------------------------------------------------
# Robustness


@pytest.mark.parametrize("ext", sorted(SUPPORTED_EXTENSIONS))
@pytest.mark.parametrize("seed", [1, 2])
def test_garbage_only_raises_load_error(tmp_path: Path, ext: str, seed: int) -> None:
    rng = random.Random(seed)
    data = bytes(rng.choice(b"{}[]<>\"':,%PDF-1.7 obj endobj stream\x00\x01\xff\xfe") for _ in range(3000))
    path = write(tmp_path, f"garbage{ext}", data)
    try:
        docs = load_file(path, path.name)
    except LoadError:
        return
    assert all(d.title and d.text for d in docs)


# ---------------------------------------------------------------------------
# iter_files


def test_iter_files_folder(tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    for name in [
        "b.md",
        "a/z.txt",
        "a/deep/x.pdf",
        "a/notes.xyz",
        "c.json",
        ".hidden.txt",
        ".git/config.txt",
        "a/.cache/skip.md",
        "~$lock.docx",
    ]:
        write(root, name, "content")
    pairs = list(iter_files([root]))
    assert [source for _, source in pairs] == ["a/deep/x.pdf", "a/notes.xyz", "a/z.txt", "b.md", "c.json"]
    for path, source in pairs:
        assert path == root / source
        assert path.is_file()


def test_iter_files_file_arguments(tmp_path: Path) -> None:
    single = write(tmp_path, "dir/report.txt", "x")
    folder = tmp_path / "other"
    write(folder, "sub/one.md", "x")
    pairs = list(iter_files([single, folder, tmp_path / "missing.pdf"]))
    assert pairs == [
        (single, "report.txt"),
        (folder / "sub" / "one.md", "sub/one.md"),
        (tmp_path / "missing.pdf", "missing.pdf"),
    ]
    assert load_error(tmp_path / "missing.pdf").startswith("cannot read file: ")


def test_iter_files_then_load(tmp_path: Path) -> None:
    write(tmp_path, "docs/a.txt", "Alpha text")
    write(tmp_path, "docs/b.xyz", "ignored")
    results: dict[str, str] = {}
    for path, source in iter_files([tmp_path / "docs"]):
        try:
            results[source] = load_file(path, source)[0].title
        except LoadError as err:
            results[source] = f"error: {err}"
    assert results["a.txt"] == "Alpha text"
    assert results["b.xyz"].startswith("error: unsupported file type .xyz")


# ---------------------------------------------------------------------------
# what one file may cost (issue 20): each limit refuses with one line, below it the file loads


def _refused(path: Path, limits) -> str:
    with pytest.raises(LoadError) as info:
        load_file(path, path.name, limits)
    assert "\n" not in str(info.value)
    return str(info.value)


def test_a_file_over_the_size_limit_is_not_read(tmp_path: Path) -> None:
    from ingest.loaders import FileLimits

    path = write(tmp_path, "big.txt", "A line of policy text.\n" * 2000)
    assert _refused(path, FileLimits(max_file_mb=0.01)) == (
        "file too large: 46 KB (the limit is 0.01 MB, POLICYQA_MAX_FILE_MB)")
    assert load_file(path, "big.txt", FileLimits(max_file_mb=1.0))


def test_a_docx_that_unpacks_to_too_much_is_not_parsed(tmp_path: Path) -> None:
    from ingest.loaders import FileLimits

    document = docx.Document()
    for _ in range(400):
        document.add_paragraph("The Secretary shall report. " * 20)
    path = tmp_path / "bomb.docx"
    document.save(path)
    assert path.stat().st_size < 100_000, "it packs small"
    assert _refused(path, FileLimits(max_unpacked_mb=0.2)).startswith("DOCX unpacks to ")
    assert load_file(path, "bomb.docx", FileLimits())


def test_too_many_records_and_too_much_text_are_refused(tmp_path: Path) -> None:
    from ingest.loaders import FileLimits

    records = write(tmp_path, "many.jsonl", "".join(json.dumps({"text": f"record {i} text"}) + "\n" for i in range(50)))
    assert _refused(records, FileLimits(max_records=10)) == "too many records: 50 (the limit is 10, POLICYQA_MAX_RECORDS)"
    array = write(tmp_path, "many.json", json.dumps([{"text": f"record {i} text"} for i in range(50)]))
    assert _refused(array, FileLimits(max_records=10)).startswith("too many records: 50")
    assert len(load_file(records, "many.jsonl", FileLimits(max_records=50))) == 50
    long = write(tmp_path, "long.txt", "word " * 3000)
    assert _refused(long, FileLimits(max_chars=1000)).startswith("too much text: 15,000 characters")
