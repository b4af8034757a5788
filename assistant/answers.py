"""The records an answer is made of: retrieved passages, citations and the answer itself.

Their `to_json()` forms are the contracts of `../shared/DESIGN.md` (`ask --json`, eval results).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

from vectorstore.hits import RetrievedChunk

CHANGES_NOTE = "\n\nChanges: "  # what starts the note on how the quoted documents stand in the chain of changes


@dataclass(slots=True)
class Turn:
    """One earlier message of a conversation."""

    role: Literal["user", "assistant"]
    content: str

    @classmethod
    def from_dict(cls, data: dict) -> "Turn":
        role = data.get("role")
        if role not in ("user", "assistant"):
            raise ValueError(f"history turn has role {role!r}; expected 'user' or 'assistant'")
        return cls(role=role, content=str(data.get("content", "")))


@dataclass(slots=True)
class Citation:
    """One `[n]` marker's evidence: `quote == document.text[start:end]`, always."""

    n: int
    source: str
    title: str
    chunk_id: str
    quote: str
    start: int
    end: int
    page: int | None = None
    score: float = 0.0
    heading: str = ""
    date: str | None = None
    later_changes: list[dict] = field(default_factory=list)
    """Later ingested documents that act on the cited one (`assistant.history.Change.to_json`), newest first."""

    def to_json(self) -> dict:
        data = asdict(self)
        data["score"] = round(float(self.score), 4)
        if not self.later_changes:
            del data["later_changes"]
        return data


@dataclass(slots=True)
class Answer:
    """What `ask` returns: the answer text with `[n]` markers and one citation per marker."""

    question: str
    answer: str
    citations: list[Citation] = field(default_factory=list)
    refused: bool = False
    retrieved: list[RetrievedChunk] = field(default_factory=list)
    latency_ms: float = 0.0
    mode: str = "extractive"
    standalone_question: str | None = None
    sentences: list[dict] | None = None
    notice: str | None = None

    @classmethod
    def from_dict(cls, data: dict) -> "Answer":
        """The inverse of `dataclasses.asdict(answer)` (how the chat UI keeps a conversation in the browser)."""
        known = set(cls.__dataclass_fields__)
        fields = {k: v for k, v in data.items() if k in known}
        fields["citations"] = [Citation(**c) for c in data.get("citations") or []]
        fields["retrieved"] = [RetrievedChunk(**r) for r in data.get("retrieved") or []]
        return cls(**fields)

    def to_json(self) -> dict:
        data = {
            "question": self.question,
            "answer": self.answer,
            "citations": [c.to_json() for c in self.citations],
            "refused": self.refused,
            "retrieved": [r.to_json() for r in self.retrieved],
            "latency_ms": round(self.latency_ms, 1),
            "mode": self.mode,
        }
        if self.standalone_question and self.standalone_question != self.question:
            data["standalone_question"] = self.standalone_question
        if self.sentences is not None:
            data["sentences"] = self.sentences
        if self.notice:
            data["notice"] = self.notice
        return data
