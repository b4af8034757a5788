"""Follow-up questions without a language model: fold the conversation into the retrieval query."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from assistant.answers import Turn
from vectorstore.lexical import tokenize

_FOLLOW_UP_OPENERS = re.compile(
    r"^\s*(and|but|also|so|then|what about|how about|and what|ok(ay)?|same|why|is that|does that|did that|was that)\b", re.IGNORECASE
)
_REFERRING = re.compile(r"\b(it|its|they|them|their|this|that|these|those|there|he|she|the (order|rule|document|report|article|measure|program|agency|commission|tariff|investigation|same))\b", re.IGNORECASE)
_MARKERS = re.compile(r"\[\d+\]")
_MAX_CONTEXT_CHARS = 600


@dataclass(slots=True)
class StandaloneQuery:
    """What retrieval searches for: the question, plus the earlier turns when it is a follow-up."""

    question: str
    dense_query: str
    lexical_query: str
    context_terms: set[str]
    is_follow_up: bool
    earlier_question: str = ""  # the question this one follows up, whose named dates it inherits
    earlier_answer: str = ""  # what the user has already been told


def is_follow_up(question: str, history: Sequence[Turn]) -> bool:
    """A question leans on the conversation when it opens like a continuation, refers back, or is short
    and shares a word with the last exchange (a short question on a new topic stands alone)."""
    if not any(turn.role == "user" for turn in history):
        return False
    if _FOLLOW_UP_OPENERS.search(question) or _REFERRING.search(question):
        return True
    terms = set(tokenize(question))
    recent = " ".join(turn.content for turn in history[-2:])
    return len(terms) <= 4 and bool(terms & set(tokenize(recent)))


def standalone_query(question: str, history: Sequence[Turn]) -> StandaloneQuery:
    """Rewrite a follow-up for retrieval by adding the last exchange; a new topic goes through unchanged."""
    if not is_follow_up(question, history):
        return StandaloneQuery(question, question, question, set(), False)
    last_user = next((t.content for t in reversed(history) if t.role == "user"), "")
    last_answer = next((t.content for t in reversed(history) if t.role == "assistant"), "")
    last_answer = _MARKERS.sub("", last_answer)[:_MAX_CONTEXT_CHARS]
    context = f"{last_user} {last_answer}".strip()
    return StandaloneQuery(
        question=question,
        dense_query=f"{question} {context}"[:2000],
        lexical_query=f"{question} {question} {context}",
        context_terms=set(tokenize(context)),
        is_follow_up=True,
        earlier_question=last_user,
        earlier_answer=last_answer,
    )
