"""Real passages of two demo documents, for the citation-checking and language-model tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from vectorstore.hits import RetrievedChunk

CORPUS = Path(__file__).resolve().parents[2] / "data" / "demo_corpus"
INDIA = "seed_india_russia.txt"
EO = "eo2025/04-April/2025-04-02-executive-order-14257.md"


@pytest.fixture(scope="session")
def documents() -> dict[str, str]:
    return {source: (CORPUS / source).read_text(encoding="utf-8") for source in (INDIA, EO)}


@pytest.fixture(scope="session")
def chunk_between(documents):
    """Builds a RetrievedChunk spanning `first` .. `last` of a document, with its real offsets."""

    def make(source: str, first: str, last: str, title: str) -> RetrievedChunk:
        text = documents[source]
        start = text.index(first)
        end = text.index(last, start) + len(last)
        return RetrievedChunk(chunk_id=f"{source}#{start}", source=source, title=title, text=text[start:end],
                              start=start, end=end, score=0.8)

    return make
