"""Turn files on disk (text, Markdown, HTML, PDF, DOCX, JSON/JSONL) into `Document` records.

Every loader returns normalised plain text (see `normalize_text`) that all later offsets refer
to, plus a title, an ISO date when one can be found, and PDF page spans. Any bad input becomes a
`LoadError` whose message is a short, path-free reason the caller can show next to the file name.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.dates import parse_date
from ingest.records import Document, PageSpan

logging.getLogger("pypdf").setLevel(logging.ERROR)

__all__ = ["SUPPORTED_EXTENSIONS", "LoadError", "iter_files", "load_file", "normalize_text", "parse_date"]

SUPPORTED_EXTENSIONS: frozenset[str] = frozenset(
    {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".json", ".jsonl"}
)

MAX_TITLE_CHARS = 200
MIN_ALNUM_PER_PDF_PAGE = 20
_SNIFF_BYTES = 8192
_MAX_CONTROL_SHARE = 0.10
_DATE_SEARCH_CHARS = 5000


class LoadError(Exception):
    """A file could not be turned into documents; `str(err)` is a short human reason without the path."""


# ---------------------------------------------------------------------------
# Text helpers


_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TRAILING_WS_RE = re.compile(r"[^\S\n]+$", re.MULTILINE)
_BLANK_RUN_RE = re.compile(r"\n{3,}")


def normalize_text(text: str) -> str:
    """The canonical form of extracted text: unix newlines, no control characters, tidy blank lines.

    Form feeds count as paragraph breaks and vertical tabs as line breaks; all other C0 controls
    except tab and newline are removed. Trailing whitespace is stripped from every line, runs of
    blank lines shrink to one, and the result is stripped.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\f", "\n\n").replace("\v", "\n")
    text = _CONTROL_RE.sub("", text)
    text = _TRAILING_WS_RE.sub("", text)
    text = _BLANK_RUN_RE.sub("\n\n", text)
    return text.strip()


def _looks_binary(data: bytes) -> bool:
    """True when the first bytes hold a NUL or a high share of control characters."""
    sample = data[:_SNIFF_BYTES]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13) or b == 127)
    return controls / len(sample) > _MAX_CONTROL_SHARE


_UTF16_32_BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def _bom_encoding(data: bytes) -> str | None:
    """The UTF-16/32 codec named by a leading byte-order mark, if any."""
    for bom, codec in _UTF16_32_BOMS:
        if data.startswith(bom):
            return codec
    return None


def _mostly_utf8(data: bytes) -> bool:
    """True for UTF-8 text with a few damaged bytes: valid multi-byte characters outnumber bad bytes."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ord(ch) > 127) - bad
    return good > 0 and bad <= good


def _guess_encoding(data: bytes) -> str | None:
    """The codec to read non-UTF-8 bytes with: cp1252 when plausible, else charset-normalizer's guess.

    Single-byte encodings are ambiguous and charset-normalizer often ranks a Baltic or Central
    European code page above cp1252 for Western text ("naïve" read as "naļve"), so cp1252 wins
    whenever any candidate it reports decodes identically to cp1252. BOM-less UTF-16/32 guesses
    are ignored: the binary check has already ruled out NUL bytes.
    """
    try:
        from charset_normalizer import from_bytes
    except ImportError:  # pragma: no cover - declared dependency
        return None
    matches = [m for m in from_bytes(data[:200_000]) if not m.encoding.startswith(("utf_16", "utf_32"))]
    if any("cp1252" in m.could_be_from_charset for m in matches):
        return "cp1252"
    return matches[0].encoding if matches else None


def decode_bytes(data: bytes) -> str:
    """Decode text bytes without ever failing.

    Order: UTF-16/32 byte-order mark, UTF-8 (BOM stripped; also when only a few bytes are
    damaged), cp1252 or charset-normalizer's guess, then cp1252 with undecodable bytes
    replaced by U+FFFD.
    """
    bom_codec = _bom_encoding(data)
    if bom_codec:
        return data.decode(bom_codec, errors="replace").lstrip("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(data):
        return data.decode("utf-8-sig", errors="replace")
    guess = _guess_encoding(data)
    if guess:
        try:
            return data.decode(guess)
        except (UnicodeDecodeError, LookupError):
            pass
    return data.decode("cp1252", errors="replace")


def _decode_text_file(data: bytes) -> str:
    """Decoded and normalised text of a plain-text-like file, or LoadError for binary/empty input."""
    if _bom_encoding(data) is None and _looks_binary(data):
        raise LoadError("binary file, not text")
    text = normalize_text(decode_bytes(data))
    if not text:
        raise LoadError("empty file")
    return text


def _collapse_ws(text: str) -> str:
    return " ".join(text.split())


def _clean_title(raw: str) -> str:
    """A one-line title: Markdown heading marks and emphasis removed, whitespace collapsed."""
    title = _collapse_ws(raw)
    title = re.sub(r"^#{1,6}\s+", "", title)
    title = re.sub(r"\s+#+$", "", title)
    title = title.replace("**", "").replace("__", "")
    return title.strip(" *_").strip()


def _first_line_title(text: str) -> str:
    """The first line holding a letter or digit when it is short enough to be a title; for a document that opens
    with a paragraph (a news article without its headline), the paragraph's opening words, so that it is shown
    by what it says rather than by its file name."""
    for line in text.split("\n"):
        if any(ch.isalnum() for ch in line):
            title = _clean_title(line)
            return title if len(title) <= MAX_TITLE_CHARS else _opening_words(title)
    return ""


LEDE_TITLE_CHARS = 100


def _opening_words(paragraph: str) -> str:
    """A paragraph's first sentence when it is short, else its words up to LEDE_TITLE_CHARS, ending in "…"."""
    sentence = re.split(r"(?<=[.!?])\s+(?=[A-Z])", paragraph, maxsplit=1)[0]
    if len(sentence) <= LEDE_TITLE_CHARS:
        return sentence
    cut = paragraph[: LEDE_TITLE_CHARS + 1].rsplit(" ", 1)[0].rstrip(",;:")
    return cut + "…"


def _pick_title(*candidates: str | None, fallback: str) -> str:
    """The first non-empty candidate title, else `fallback`."""
    for candidate in candidates:
        if candidate:
            cleaned = _clean_title(candidate)
            if cleaned:
                return cleaned
    return fallback or "untitled"




_DATE_LINE_RE = re.compile(
    r"^[ \t]*(?:[-*>][ \t]+)?(?:\*\*|__)?[ \t]*"
    r"(?:date|dated|effective date|date of issue|issued|published|publication date|last updated)"
    r"[ \t]*(?::[ \t]*(?:\*\*|__)?|(?:\*\*|__)[ \t]*:)[ \t]*(?P<value>[^\n]+)$",
    re.IGNORECASE | re.MULTILINE,
)


def _date_from_text(text: str) -> str | None:
    """The date on the first `Date: ...`-style line near the top of the text."""
    for m in _DATE_LINE_RE.finditer(text[:_DATE_SEARCH_CHARS]):
        iso = parse_date(m["value"])
        if iso:
            return iso
    return None


# ---------------------------------------------------------------------------
# Plain text and Markdown

_H1_RE = re.compile(r"^#[ \t]+(.+?)[ \t]*#*[ \t]*$")
_FENCE_RE = re.compile(r"^[ \t]{0,3}(```|~~~)")
_FRONT_MATTER_TITLE_RE = re.compile(r"^title:[ \t]*(.+?)[ \t]*$", re.IGNORECASE)


def _markdown_title(text: str) -> str:
    """Title from YAML front matter, else the first `# ` heading outside code fences; else ''."""
    lines = text.split("\n")
    if lines and lines[0].strip() == "---":
        for line in lines[1:60]:
            if line.strip() in ("---", "..."):
                break
            m = _FRONT_MATTER_TITLE_RE.match(line)
            if m:
                title = _clean_title(m[1].strip("'\""))
                if title:
                    return title
    in_fence = False
    for line in lines:
        if _FENCE_RE.match(line):
            in_fence = not in_fence
        elif not in_fence:
            m = _H1_RE.match(line)
            if m and _clean_title(m[1]):
                return _clean_title(m[1])
    return ""


def _load_text(data: bytes, path: Path, source: str) -> list[Document]:
    text = _decode_text_file(data)
    title = _pick_title(_first_line_title(text), fallback=path.stem)
    return [Document(source=source, text=text, title=title, date=_date_from_text(text), doc_type="text")]


def _load_markdown(data: bytes, path: Path, source: str) -> list[Document]:
    text = _decode_text_file(data)
    title = _pick_title(_markdown_title(text), _first_line_title(text), fallback=path.stem)
    return [Document(source=source, text=text, title=title, date=_date_from_text(text), doc_type="markdown")]


# ---------------------------------------------------------------------------
# HTML

_HTML_DROP = frozenset(
    {"script", "style", "noscript", "nav", "header", "footer", "aside", "form", "iframe", "svg", "template",
     "head", "title", "meta", "link", "button", "select", "canvas", "object", "embed", "map"}
)
_HTML_BLOCKS = frozenset(
    {"address", "article", "blockquote", "body", "caption", "center", "dd", "details", "dialog", "div", "dl",
     "dt", "fieldset", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hgroup", "html", "legend",
     "li", "main", "ol", "p", "section", "summary", "table", "tbody", "tfoot", "thead", "tr", "ul"}
)
_HTML_CELLS = frozenset({"td", "th"})
_HTML_DATE_META = ("date", "article:published_time", "dcterms.date", "dc.date", "dcterms.issued", "dc.date.issued",
                   "citation_publication_date", "citation_date")
_CELL_SEPARATOR = " | "
_WS_RE = re.compile(r"\s")


def _is_hidden(tag: Any) -> bool:
    style = (tag.get("style") or "").replace(" ", "").lower()
    return tag.has_attr("hidden") or "display:none" in style


class _HtmlText:
    """Collects the visible text of an element tree as paragraphs (one per block element)."""

    def __init__(self) -> None:
        self.paragraphs: list[str] = []
        self._inline: list[str] = []

    def add(self, text: str) -> None:
        self._inline.append(_WS_RE.sub(" ", text.replace("\x00", "")))

    def line_break(self) -> None:
        self._inline.append("\n")

    def cell(self) -> None:
        self._inline.append("\x00")

    def flush(self) -> None:
        if not self._inline:
            return
        raw = "".join(self._inline)
        self._inline = []
        lines = []
        for line in raw.split("\n"):
            cells = [_collapse_ws(cell) for cell in line.split("\x00")]
            lines.append(_CELL_SEPARATOR.join(cell for cell in cells if cell))
        paragraph = "\n".join(line for line in lines if line)
        if paragraph:
            self.paragraphs.append(paragraph)

    def verbatim(self, text: str) -> None:
        self.flush()
        text = text.strip("\n")
        if text.strip():
            self.paragraphs.append(text)


def _html_paragraphs(root: Any, drop: frozenset[str] = _HTML_DROP) -> list[str]:
    """Visible text under `root`: block elements become paragraphs, `<pre>` keeps its layout."""
    from bs4.element import NavigableString, PreformattedString, Tag

    out = _HtmlText()
    cell_depth = 0
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            if node.name in _HTML_CELLS:
                cell_depth -= 1
            elif node.name in _HTML_BLOCKS and cell_depth == 0:
                out.flush()
            continue
        if isinstance(node, NavigableString):
            if not isinstance(node, PreformattedString):
                out.add(str(node))
            continue
        if not isinstance(node, Tag):
            continue
        name = node.name
        if node is not root and (name in drop or _is_hidden(node)):
            continue
        if name == "br":
            out.line_break()
            continue
        if name == "hr":
            out.flush()
            continue
        if name == "pre" and cell_depth == 0:
            out.verbatim(node.get_text())
            continue
        if name in _HTML_CELLS:
            cell_depth += 1
            out.cell()
        elif name in _HTML_BLOCKS:
            if cell_depth:
                out.add(" ")
            else:
                out.flush()
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node.contents))
    out.flush()
    return out.paragraphs


def _html_main_root(soup: Any) -> Any:
    """The element holding the main content: `<main>`, else a sole `<article>`, else the body."""
    main = soup.find("main")
    if main is not None:
        return main
    articles = soup.find_all("article")
    if len(articles) == 1:
        return articles[0]
    return soup.body or soup


def _decode_html(data: bytes) -> str:
    """HTML bytes as text, honouring a declared charset (latin-1/ascii read as cp1252, as browsers do)."""
    from bs4.dammit import EncodingDetector

    if _bom_encoding(data) is None:
        declared = EncodingDetector.find_declared_encoding(data[:4096], is_html=True)
        if declared:
            codec = declared.lower().replace("_", "-")
            if codec in {"iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"}:
                codec = "cp1252"
            try:
                return data.decode(codec, errors="replace").lstrip("\ufeff")
            except LookupError:
                pass
    return decode_bytes(data)


def _meta_content(soup: Any, keys: tuple[str, ...]) -> str | None:
    """The content of the first `<meta name|property|itemprop=...>` whose key is in `keys` (case-insensitive)."""
    wanted = {key.lower() for key in keys}
    for meta in soup.find_all("meta"):
        key = meta.get("name") or meta.get("property") or meta.get("itemprop") or ""
        content = (meta.get("content") or "").strip()
        if isinstance(key, str) and key.strip().lower() in wanted and content:
            return content
    return None


def _canonical_url(soup: Any) -> str | None:
    for link in soup.find_all("link"):
        rel = link.get("rel") or []
        rels = [rel] if isinstance(rel, str) else rel
        href = (link.get("href") or "").strip()
        if href and any(r.lower() == "canonical" for r in rels):
            return href
    return _meta_content(soup, ("og:url",))


def _load_html(data: bytes, path: Path, source: str) -> list[Document]:
    from bs4 import BeautifulSoup

    if _bom_encoding(data) is None and _looks_binary(data):
        raise LoadError("binary file, not text")
    markup = _decode_html(data)
    if not markup.strip():
        raise LoadError("empty file")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        soup = BeautifulSoup(markup, "lxml")

    root = _html_main_root(soup)
    # An article's own <header> usually holds its headline, so it is kept inside main/article.
    in_content = root.name in ("main", "article")
    paragraphs = _html_paragraphs(root, _HTML_DROP - {"header"} if in_content else _HTML_DROP)
    if not paragraphs and root is not (soup.body or soup):
        paragraphs = _html_paragraphs(soup.body or soup)
    text = normalize_text("\n\n".join(paragraphs))
    if not text:
        raise LoadError("no visible text in HTML")

    title_tag = soup.find("title")
    h1 = soup.find("h1")
    title = _pick_title(
        title_tag.get_text() if title_tag else None,
        h1.get_text() if h1 else None,
        _first_line_title(text),
        fallback=path.stem,
    )
    date = parse_date(_meta_content(soup, _HTML_DATE_META)) or _date_from_text(text)
    return [Document(source=source, text=text, title=title, date=date, url=_canonical_url(soup), doc_type="html")]


# ---------------------------------------------------------------------------
# PDF

_DIGITS_RE = re.compile(r"\d+")


def _pdf_content_chars(pages: list[str]) -> int:
    """Alphanumeric characters in the page texts, ignoring lines repeated on most pages.

    Running headers and court filing stamps ("Case 1:21-cv-... Page 2 of 5") are text even on
    scanned documents, so lines that recur (digits aside) on at least half the pages do not count.
    """
    per_page = [{_DIGITS_RE.sub("0", line.strip()) for line in page.split("\n") if line.strip()} for page in pages]
    repeated: set[str] = set()
    if len(pages) >= 2:
        counts = Counter(line for lines in per_page for line in lines)
        repeated = {line for line, n in counts.items() if n >= max(2, len(pages) / 2)}
    total = 0
    for page in pages:
        for line in page.split("\n"):
            if line.strip() and _DIGITS_RE.sub("0", line.strip()) not in repeated:
                total += sum(ch.isalnum() for ch in line)
    return total


def _short_reason(exc: BaseException, path: Path | None = None) -> str:
    """A one-line, path-free description of an exception for a LoadError message."""
    text = str(exc).strip().split("\n", 1)[0]
    if path is not None:
        text = text.replace(str(path), path.name)
    text = text.strip(" :") or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _pdf_title_from_metadata(raw: Any) -> str:
    """The document info /Title, minus the "Microsoft Word - name.docx" noise some printers add."""
    if not isinstance(raw, str):
        return ""
    title = _collapse_ws(raw.replace("\x00", ""))
    title = re.sub(r"^Microsoft (?:Word|PowerPoint|Excel) - ", "", title)
    title = re.sub(r"\.(?:docx?|pptx?|xlsx?|pdf|rtf|odt)$", "", title, flags=re.IGNORECASE)
    return "" if title.lower() in {"untitled", "title", "document"} else title


def _load_pdf(data: bytes, path: Path, source: str) -> list[Document]:
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError

    if b"%PDF" not in data[:1024]:
        raise LoadError("corrupt PDF: not a PDF file (no %PDF header)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                raise LoadError("encrypted PDF (password protected)")
            page_objects = list(reader.pages)
        except LoadError:
            raise
        except FileNotDecryptedError as exc:
            raise LoadError("encrypted PDF (password protected)") from exc
        except DependencyError as exc:
            raise LoadError("encrypted PDF: install the 'cryptography' package to decrypt it") from exc
        except Exception as exc:  # noqa: BLE001 - pypdf raises many types on damaged files
            raise LoadError(f"corrupt PDF: {_short_reason(exc, path)}") from exc
        if not page_objects:
            raise LoadError("corrupt PDF: no pages")

        page_texts: list[str] = []
        failures: list[Exception] = []
        for page in page_objects:
            try:
                page_texts.append(normalize_text(page.extract_text() or ""))
            except Exception as exc:  # noqa: BLE001 - pypdf raises many types on damaged pages
                failures.append(exc)
                page_texts.append("")
        if len(failures) == len(page_objects):
            raise LoadError(f"corrupt PDF: {_short_reason(failures[0], path)}")

        try:
            metadata = reader.metadata or {}
            meta_title = _pdf_title_from_metadata(metadata.get("/Title"))
            meta_date = parse_date(str(metadata.get("/CreationDate") or ""))
        except Exception:  # noqa: BLE001 - metadata is optional; damaged info dicts are ignored
            meta_title, meta_date = "", None

    if _pdf_content_chars(page_texts) < MIN_ALNUM_PER_PDF_PAGE * len(page_texts):
        raise LoadError("no text layer (scanned PDF?): run OCR on it first, e.g. ocrmypdf")

    parts: list[str] = []
    spans: list[PageSpan] = []
    length = 0
    for number, page_text in enumerate(page_texts, start=1):
        if page_text:
            if parts:
                parts.append("\n\n")
                length += 2
            parts.append(page_text)
            spans.append(PageSpan(page=number, start=length, end=length + len(page_text)))
            length += len(page_text)
        else:
            spans.append(PageSpan(page=number, start=length, end=length))
    text = "".join(parts)
    title = _pick_title(meta_title, _first_line_title(text), fallback=path.stem)
    date = _date_from_text(text) or meta_date
    return [Document(source=source, text=text, title=title, date=date, doc_type="pdf", pages=spans)]


# ---------------------------------------------------------------------------
# DOCX


def _docx_blocks(document: Any) -> Iterator[tuple[str, str]]:
    """(style name, text) for each paragraph and each table row, in document order."""
    from docx.table import Table

    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                cells: list[str] = []
                seen: set[int] = set()
                for cell in row.cells:
                    if id(cell._tc) in seen:  # merged cells repeat the same element
                        continue
                    seen.add(id(cell._tc))
                    cell_text = _collapse_ws(cell.text)
                    if cell_text:
                        cells.append(cell_text)
                if cells:
                    yield "", _CELL_SEPARATOR.join(cells)
        else:
            try:
                style = item.style.name if item.style is not None else ""
            except Exception:  # noqa: BLE001 - broken style references are common
                style = ""
            yield style or "", item.text


def _load_docx(data: bytes, path: Path, source: str) -> list[Document]:
    import docx

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise LoadError("corrupt DOCX: not a ZIP package (an old .doc? save it as .docx)")
    limit = _LIMITS.get().max_unpacked_mb
    try:
        unpacked = sum(info.file_size for info in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise LoadError(f"corrupt DOCX: {_short_reason(exc, path)}") from exc
    if unpacked > limit * 1e6:
        raise LoadError(f"DOCX unpacks to {unpacked / 1e6:.0f} MB (the limit is {limit:g} MB, POLICYQA_MAX_UNPACKED_MB)")
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = list(_docx_blocks(document))
    except Exception as exc:  # noqa: BLE001 - python-docx/lxml/zipfile raise many types
        raise LoadError(f"corrupt DOCX: {_short_reason(exc, path)}") from exc

    paragraphs = [normalize_text(text) for _, text in blocks]
    text = normalize_text("\n\n".join(p for p in paragraphs if p))
    if not text:
        raise LoadError("empty document (no text)")

    heading = next(
        (normalize_text(t) for style, t in blocks if (style.startswith("Heading") or style == "Title") and t.strip()),
        "",
    )
    try:
        props = document.core_properties
        meta_title = props.title or ""
        created = props.created
        meta_date = created.date().isoformat() if created else None
    except Exception:  # noqa: BLE001 - malformed core properties are ignored
        meta_title, meta_date = "", None
    title = _pick_title(meta_title, heading if len(heading) <= MAX_TITLE_CHARS else "", _first_line_title(text),
                        fallback=path.stem)
    date = _date_from_text(text) or meta_date
    return [Document(source=source, text=text, title=title, date=date, doc_type="docx")]


# ---------------------------------------------------------------------------
# JSON / JSONL

_TEXT_FIELDS = ("text", "content", "body")


def _records_from_json(raw: str) -> list[Any]:
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise LoadError(f"invalid JSON: line {exc.lineno}: {exc.msg}") from exc
    if isinstance(value, dict) and isinstance(value.get("documents"), list):
        return value["documents"]
    if isinstance(value, list):
        return value
    return [value]


def _records_from_jsonl(raw: str) -> list[Any]:
    records: list[Any] = []
    for lineno, line in enumerate(raw.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise LoadError(f"invalid JSON: line {lineno}: {exc.msg}") from exc
    return records


def _record_str(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value.strip() if isinstance(value, str) else ""


def _load_json(data: bytes, path: Path, source: str) -> list[Document]:
    if _bom_encoding(data) is None and _looks_binary(data):
        raise LoadError("binary file, not text")
    raw = decode_bytes(data).replace("\r\n", "\n").replace("\r", "\n")
    if not raw.strip():
        raise LoadError("empty file")
    jsonl = path.suffix.lower() == ".jsonl"
    if jsonl and raw.count("\n") > _LIMITS.get().max_records:  # counted before a million records are parsed
        lines = sum(1 for line in raw.split("\n") if line.strip())
        if lines > _LIMITS.get().max_records:
            raise LoadError(f"too many records: {lines:,} (the limit is {_LIMITS.get().max_records:,}, "
                            "POLICYQA_MAX_RECORDS)")
    records = _records_from_jsonl(raw) if jsonl else _records_from_json(raw)
    if len(records) > _LIMITS.get().max_records:
        raise LoadError(f"too many records: {len(records):,} (the limit is {_LIMITS.get().max_records:,}, "
                        "POLICYQA_MAX_RECORDS)")

    documents: list[Document] = []
    used_sources: set[str] = set()
    for index, record in enumerate(records):
        if not isinstance(record, dict):
            continue
        text = ""
        for field in _TEXT_FIELDS:
            value = record.get(field)
            if isinstance(value, str) and value.strip():
                text = normalize_text(value)
                if text:
                    break
        if not text:
            continue
        key = _record_str(record, "id") or str(index)
        record_source = f"{source}#{key}"
        if record_source in used_sources:
            record_source = f"{source}#{key}@{index}"
        used_sources.add(record_source)
        title = _pick_title(_record_str(record, "title"), _first_line_title(text), fallback=f"{path.stem} #{key}")
        documents.append(
            Document(
                source=record_source,
                text=text,
                title=title,
                date=parse_date(_record_str(record, "date")),
                url=_record_str(record, "url") or None,
                doc_type="json",
            )
        )
    if not documents:
        raise LoadError("no records with a 'text' field")
    return documents


# ---------------------------------------------------------------------------
# Entry points

_Loader = Callable[[bytes, Path, str], list[Document]]

_LOADERS: dict[str, _Loader] = {
    ".txt": _load_text,
    ".md": _load_markdown,
    ".markdown": _load_markdown,
    ".html": _load_html,
    ".htm": _load_html,
    ".pdf": _load_pdf,
    ".docx": _load_docx,
    ".json": _load_json,
    ".jsonl": _load_json,
}
assert frozenset(_LOADERS) == SUPPORTED_EXTENSIONS


@dataclass(frozen=True, slots=True)
class FileLimits:
    """What one file may cost, so that a hostile one (a DOCX that unpacks to a gigabyte of XML, a 200 MB line, a
    million tiny records) is refused with one line instead of taking the batch down. Settings: POLICYQA_MAX_*."""

    max_file_mb: float = 100.0
    max_unpacked_mb: float = 300.0
    max_records: int = 200_000
    max_chars: int = 30_000_000


_PLAIN_TEXT = frozenset({".txt", ".md", ".markdown"})  # formats whose text is about as long as the file's characters
_LIMITS: ContextVar[FileLimits] = ContextVar("policyqa_file_limits", default=FileLimits())


def load_file(path: Path, source: str, limits: FileLimits | None = None) -> list[Document]:
    """Load one file. `source` is the path relative to the ingested folder (already computed by the caller).

    Returns one Document for most formats; JSON/JSONL can give several (one per record, with
    source `"{source}#{id or index}"`). Raises LoadError with a one-line reason for any bad input, and for a file
    that would cost more than `limits` allow.
    """
    path = Path(path)
    limits = limits or FileLimits()
    ext = path.suffix.lower()
    loader = _LOADERS.get(ext)
    if loader is None:
        shown = ext or "(no extension)"
        raise LoadError(f"unsupported file type {shown}; supported: {', '.join(sorted(SUPPORTED_EXTENSIONS))}")
    try:
        size = path.stat().st_size
        if size > limits.max_file_mb * 1e6:
            shown = f"{size / 1e6:.1f} MB" if size >= 1e6 else f"{size / 1e3:.0f} KB"
            raise LoadError(f"file too large: {shown} (the limit is {limits.max_file_mb:g} MB, POLICYQA_MAX_FILE_MB)")
        data = path.read_bytes()
    except OSError as exc:
        raise LoadError(f"cannot read file: {exc.strerror or type(exc).__name__}") from exc
    if not data.strip():
        raise LoadError("empty file")
    if ext in _PLAIN_TEXT and len(data) > limits.max_chars and len(decode_bytes(data)) > limits.max_chars:
        # checked before the text is cleaned: cleaning a 90 MB line took 1.3 GB
        raise LoadError(f"too much text: {len(decode_bytes(data)):,} characters (the limit is {limits.max_chars:,}, "
                        "POLICYQA_MAX_CHARS)")
    token = _LIMITS.set(limits)
    try:
        documents = loader(data, path, source)
        chars = sum(len(doc.text) for doc in documents)
        if chars > limits.max_chars:
            raise LoadError(f"too much text: {chars:,} characters (the limit is {limits.max_chars:,}, "
                            "POLICYQA_MAX_CHARS)")
        return documents
    except LoadError:
        raise
    except MemoryError as exc:
        raise LoadError("file too large to load") from exc
    except RecursionError as exc:
        raise LoadError(f"cannot parse {ext[1:].upper()}: structure nested too deeply") from exc
    except Exception as exc:  # noqa: BLE001 - a bad file must never crash ingestion
        raise LoadError(f"cannot parse {ext[1:].upper()}: {_short_reason(exc, path)}") from exc
    finally:
        _LIMITS.reset(token)


def _is_hidden_name(name: str) -> bool:
    return name.startswith(".") or name.startswith("~$")


def iter_files(paths: list[Path], follow_links: bool = False,
               on_skip: Callable[[Path, str, str], None] | None = None) -> Iterator[tuple[Path, str]]:
    """Expand files and folders into (path, source) pairs.

    Folders are walked recursively in sorted order, skipping hidden files and folders (names
    starting with '.' or '~$', e.g. .git or Office lock files) and not following symlinked
    folders; their source is the path relative to the folder, with '/' separators. A link to a
    file outside the folder (`ln -s /etc/passwd notes.txt`) is not read unless `follow_links`:
    `on_skip(path, source, reason)` hears of it instead, and of linked folders and of pipes, devices and sockets,
    which are never read. A file argument (or a path that does
    not exist) is yielded as is, with its file name as source, so load_file can report on it:
    the user named it. Unsupported extensions are still yielded.
    """
    for root in paths:
        root = Path(root)
        if not root.is_dir():
            yield root, root.name
            continue
        inside = root.resolve()
        found: list[tuple[tuple[str, ...], Path]] = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not _is_hidden_name(d))
            base = Path(dirpath)
            rel_dir = base.relative_to(root).parts
            for name in dirnames:  # os.walk does not go into a linked folder: say so
                if (base / name).is_symlink() and on_skip is not None:
                    on_skip(base / name, "/".join((*rel_dir, name)),
                            f"a link to the folder {(base / name).resolve()}; folders behind links are not read")
            for name in filenames:
                if _is_hidden_name(name):
                    continue
                file_path = base / name
                if not file_path.is_file():
                    if on_skip is not None and file_path.exists() and not file_path.is_dir():
                        on_skip(file_path, "/".join((*rel_dir, name)),
                                "not a regular file (a pipe, device or socket); only files are read")
                    continue
                if not follow_links and file_path.is_symlink() and not file_path.resolve().is_relative_to(inside):
                    if on_skip is not None:
                        on_skip(file_path, "/".join((*rel_dir, name)),
                                f"a link to {file_path.resolve()}, outside the folder; pass --follow-links to read it")
                    continue
                found.append(((*rel_dir, name), file_path))
        for parts, file_path in sorted(found, key=lambda item: item[0]):
            yield file_path, "/".join(parts)
