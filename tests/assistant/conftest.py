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


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory, embedder) -> Path:
    """The whole demo corpus ingested once with the real bundled model into an embedded Chroma store."""
    from assistant.core import build_assistant
    from assistant.settings import Settings

    store = tmp_path_factory.mktemp("demo-store")
    assistant = build_assistant(Settings(store=store))
    assistant.__dict__["embedder"] = embedder
    report = assistant.ingest([CORPUS], progress=False)
    assert not report.failed and len(report.added) == 148
    assistant.close()
    return store


@pytest.fixture(scope="session")
def demo_assistant_with(demo_store, embedder):
    """Builds an assistant over the shared demo store (with the session's embedder) from settings."""
    from assistant.core import build_assistant
    from assistant.settings import Settings

    def make(**settings):
        assistant = build_assistant(Settings(store=demo_store, **settings))
        assistant.__dict__["embedder"] = embedder
        return assistant

    return make
