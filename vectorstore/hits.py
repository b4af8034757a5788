"""The record retrieval hands to the answerers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class RetrievedChunk:
    """A chunk the retriever returned, with its fused score (higher is better)."""

    chunk_id: str
    source: str
    title: str
    text: str
    start: int
    end: int
    heading: str = ""
    page: int | None = None
    date: str | None = None
    score: float = 0.0
    dense_score: float | None = None
    lexical_score: float | None = None

    def to_json(self) -> dict:
        return {"source": self.source, "chunk_id": self.chunk_id, "score": round(float(self.score), 4)}
