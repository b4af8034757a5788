"""The typed records that carry documents and chunks from the loaders to the store."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field


def sha256_text(text: str) -> str:
    """Hex SHA-256 of UTF-8 text: the content hash used to detect changes."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def make_chunk_id(source: str, text: str, occurrence: int = 0) -> str:
    """Stable chunk id from its source and content.

    `occurrence` tells apart identical passages inside one document (the n-th copy of
    the same text), so re-ingesting unchanged text always yields the same ids.
    """
    digest = hashlib.sha256(f"{source}\x00{occurrence}\x00{text}".encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class PageSpan:
    """One PDF page: its 1-based number and its character range in the document text."""

    page: int
    start: int
    end: int


@dataclass(slots=True)
class Document:
    """One ingested file (or one record of a JSON/JSONL file) as plain text.

    `text` is the extracted text every offset refers to; `content_hash` detects changes.
    """

    source: str
    text: str
    title: str = ""
    date: str | None = None
    url: str | None = None
    doc_type: str = "text"
    pages: list[PageSpan] = field(default_factory=list)
    content_hash: str = ""

    def __post_init__(self) -> None:
        if not self.content_hash:
            self.content_hash = sha256_text(self.text)

    def page_at(self, offset: int) -> int | None:
        """The 1-based page holding character `offset`, or None for documents without pages."""
        for span in self.pages:
            if span.start <= offset < span.end:
                return span.page
        return self.pages[-1].page if self.pages and offset >= self.pages[-1].end else None


@dataclass(slots=True)
class Chunk:
    """A retrievable passage: `text == document.text[start:end]` of its document."""

    chunk_id: str
    source: str
    text: str
    start: int
    end: int
    heading: str = ""
    page: int | None = None
    title: str = ""
    date: str | None = None

    @property
    def text_hash(self) -> str:
        return sha256_text(self.text)
