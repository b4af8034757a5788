"""Reading the question once: (question, conversation) -> a typed `QuestionAnalysis` that retrieval and the reader
both take. No language model: a follow-up is folded together with the last exchange for retrieval."""

from __future__ import annotations

import calendar
import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from assistant.answers import Turn
from vectorstore.lexical import tokenize
from vectorstore.references import MONTH_NUMBERS, MONTHS, NamedDocuments

_FOLLOW_UP_OPENERS = re.compile(
    r"^\s*(and|but|also|so|then|what about|how about|and what|ok(ay)?|same|why|is that|does that|did that|was that)\b", re.IGNORECASE
)
_REFERRING = re.compile(r"\b(it|its|they|them|their|this|that|these|those|there|he|she|the (order|rule|document|report|article|measure|program|agency|commission|tariff|investigation|same))\b", re.IGNORECASE)
_MARKERS = re.compile(r"\[\d+\]")
_MAX_CONTEXT_CHARS = 600

# what a question asks for, by its wording: one column each, so the model can learn which kind of sentence fits
QUESTION_KINDS = {
    "when": re.compile(r"\b(when|what date|which date|by what date|deadline|until when|effective)\b", re.I),
    "how_long": re.compile(r"\bhow (long|often|many (days|months|years|weeks))\b|\bwithin how\b|\bwhat period\b", re.I),
    "how_many": re.compile(r"\bhow many\b|\bnumber of\b|\bwhat (percentage|percent|share|age|rate|ceiling|limit)\b", re.I),
    "how_much": re.compile(r"\bhow much\b|\bwhat (amount|sum|fee|fine|penalty|salary|pay|price)\b|\bdollars?\b|\bcost\b", re.I),
    "who": re.compile(r"(^|[,;]\s*|\band\s+)who\b|\bwhich (official|officer|secretary|agency|department|office|body|person|member)\b|\bresponsible\b", re.I),
    "define": re.compile(r"\bdefin|\bwhat (counts|qualifies) as\b|\bwhat is meant\b|\bmeaning of\b", re.I),
    "list": re.compile(r"\b(which|what) (agencies|countries|members|items|officials|departments|goods|states|programs|categories)\b|\blist|\bname the\b|\bwhich of\b", re.I),
    "why": re.compile(r"\bwhy\b|\bpurpose\b|\breason\b", re.I),
    "where": re.compile(r"\bwhere\b|\bwhich (country|state|city|place)\b", re.I),
    "yes_no": re.compile(r"^\s*(does|do|did|is|are|was|were|can|may|must|will|has|have)\b", re.I),
}


@dataclass(frozen=True, slots=True)
class QuestionAnalysis:
    """What the assistant reads of a question, once: the question itself, what retrieval searches for (with the
    last exchange folded in for a follow-up), the documents it names, and the kinds of answer its wording asks
    for (`QUESTION_KINDS`)."""

    question: str
    history: tuple[Turn, ...] = ()
    dense_query: str = ""
    lexical_query: str = ""
    context_terms: frozenset[str] = frozenset()  # terms of the last exchange, for a follow-up
    is_follow_up: bool = False
    earlier_question: str = ""  # the question this one follows up
    named: NamedDocuments = NamedDocuments()
    asks: frozenset[str] = frozenset()
    about_two_documents: bool = False  # the answer needs two documents: the reader quotes the best of each
    as_of: str | None = None  # the ISO date the question asks about ("in force in March 1949"), see `as_of_date`
    parts: tuple[str, ...] = ()  # the questions it asks, when it asks several (`question_parts`)
    asks_which_document: bool = False  # its answer is a document ("Which order delayed them?"), see `_WHICH_DOCUMENT`

    @property
    def reading(self) -> str:
        """The question as the reader's cross-encoder reads it: a follow-up with the question it follows."""
        return f"{self.question} ({self.earlier_question})" if self.is_follow_up and self.earlier_question else self.question

    @property
    def standalone_question(self) -> str | None:
        """What was searched for a follow-up (shown to the user); None for a question that stands alone."""
        return self.dense_query if self.is_follow_up else None

    def part_analyses(self) -> list["QuestionAnalysis"]:
        """One analysis per part, for the reader: the first as asked, each later one as a follow-up of the whole
        question ("..., and how were they chosen?" reads "how were they chosen?" beside the question it is part of)."""
        from dataclasses import replace

        first = self.parts[0]
        analyses = [replace(self, question=first, asks=kinds_asked(first), parts=())]
        for part in self.parts[1:]:
            context = self.question if not self.is_follow_up else f"{self.question} {self.earlier_question}"
            analyses.append(replace(self, question=part, asks=kinds_asked(part), parts=(), is_follow_up=True,
                                    earlier_question=context,
                                    context_terms=self.context_terms | frozenset(tokenize(self.question))))
        return analyses

    def searching(self, query: str) -> "QuestionAnalysis":
        """The same analysis searching for another query (a language model's rewrite of a follow-up)."""
        from dataclasses import replace

        return replace(self, dense_query=query, lexical_query=f"{query} {self.lexical_query}",
                       named=NamedDocuments.in_text(query))


def kinds_asked(question: str) -> frozenset[str]:
    """The kinds of answer a question's wording asks for (QUESTION_KINDS)."""
    return frozenset(kind for kind, pattern in QUESTION_KINDS.items() if pattern.search(question))


_ASKING = (r"(?:who|whom|whose|what|when|where|which|why|how|is|are|was|were|does|do|did|can|could|may|must|should|"
           r"will|would|has|have|had|(?:by|until|to|from|on|in|at|for|under|with|as of)\s+(?:what|when|which|whom|how))\b")
_PART_BOUNDARY = re.compile(rf"\?\s+(?=[A-Z])|,?\s+and\s+(?={_ASKING})|;\s+(?={_ASKING})", re.IGNORECASE)


def question_parts(question: str) -> tuple[str, ...]:
    """The questions a question asks, when it asks several ("Who chairs the board, and how often must it
    report?" -> two), each answered by its own sentence; () for a question that asks one thing."""
    parts = [part.strip(" ,;?") + "?" for part in _PART_BOUNDARY.split(question)]
    parts = [part for part in parts if len(part.split()) >= 2]
    return tuple(parts) if len(parts) > 1 else ()


FOLLOW_UP_MODEL = Path(__file__).resolve().parent / "reader_model" / "follow_up.json"
FOLLOW_UP_FEATURES = ["bias", "opens_like_a_continuation", "refers_back", "terms", "at_most_four_terms",
                      "share_of_terms_in_last_exchange", "names_an_order_or_date", "capitalised_words", "words"]
_YEAR = r"\b(?:1[89]\d\d|20\d\d)\b"
_MONTH_DAY = r"\b(?:" + MONTHS + r")\s+\d{1,2}\b"
_NAMES_A_DOCUMENT = re.compile(r"\b(EO|E\.O\.|Executive Order|Proclamation|Memorandum)\s*(No\.\s*)?\d{3,5}\b"
                               rf"|{_YEAR}|{_MONTH_DAY}", re.IGNORECASE)
_CAPITALISED = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][a-z]+")


def follow_up_features(question: str, history: Sequence[Turn]) -> list[float]:
    """What tells a follow-up from a question that stands alone, in FOLLOW_UP_FEATURES order: how it opens, a
    pointer back ("it", "that order"), its length, how much of it the last exchange already holds, and whether it
    names its own document (an order's number, a year, capitalised names)."""
    terms = set(tokenize(question))
    recent = set(tokenize(_MARKERS.sub("", " ".join(turn.content for turn in history[-2:]))))
    return [1.0, float(bool(_FOLLOW_UP_OPENERS.search(question))), float(bool(_REFERRING.search(question))),
            min(len(terms), 30) / 10, float(len(terms) <= 4), len(terms & recent) / max(len(terms), 1),
            float(bool(_NAMES_A_DOCUMENT.search(question))), min(len(_CAPITALISED.findall(question)), 6) / 3,
            len(question.split()) / 20]


TWO_DOCUMENTS_MODEL = Path(__file__).resolve().parent / "reader_model" / "two_documents.json"
TWO_DOCUMENTS_FEATURES = ["bias", "years", "order_numbers", "month_days", "document_words", "words"]
_YEARS = re.compile(_YEAR)
_ORDER_NUMBER = re.compile(r"\b\d{4,5}\b")
_MONTH_DAYS = re.compile(_MONTH_DAY)
_DOCUMENT_WORD = re.compile(r"\b(?:orders?|proclamations?|memorand(?:um|a))\b", re.IGNORECASE)


def two_documents_features(question: str) -> list[float]:
    """What tells a question about two documents from one about one, in TWO_DOCUMENTS_FEATURES order: how many
    different years, order numbers and dates it names, how often it speaks of orders, and its length."""
    return [1.0, float(len(set(_YEARS.findall(question)))), float(len(set(_ORDER_NUMBER.findall(question)))),
            float(len(set(_MONTH_DAYS.findall(question)))), float(len(_DOCUMENT_WORD.findall(question))),
            len(question.split()) / 20]


@functools.cache
def _logistic_model(path: Path, features: tuple[str, ...]) -> tuple[np.ndarray, float]:
    model = json.loads(path.read_text())
    if model["features"] != list(features):
        raise ValueError(f"{path} was trained on other features; run its script in training/ ({model.get('script')})")
    return np.array(model["weights"]), float(model["threshold"])


def _probability(path: Path, features: Sequence[str], row: list[float]) -> tuple[float, float]:
    weights, threshold = _logistic_model(path, tuple(features))
    return 1.0 / (1.0 + np.exp(-float(np.dot(weights, row)))), threshold


def is_follow_up(question: str, history: Sequence[Turn]) -> bool:
    """Whether a question needs the earlier exchange to be understood: a logistic model trained on the question
    sets (`training/train_follow_up.py`): follow-ups against self-contained questions asked as a second turn."""
    if not any(turn.role == "user" for turn in history):
        return False
    probability, threshold = _probability(FOLLOW_UP_MODEL, FOLLOW_UP_FEATURES, follow_up_features(question, history))
    return bool(probability >= threshold)


def is_about_two_documents(question: str) -> bool:
    """Whether a question needs two documents ("Who chaired the board under the 1954 order, and who under the
    1957 one?"): a logistic model trained on the question sets (`training/train_two_documents.py`)."""
    probability, threshold = _probability(TWO_DOCUMENTS_MODEL, TWO_DOCUMENTS_FEATURES, two_documents_features(question))
    return bool(probability >= threshold)


# a date the question asks about ("in force in March 1949", "entered on May 2, 2025"), not one that names an order
# ("the order of April 2, 2025", "signed on January 20, 2025")
_AS_OF = re.compile(rf"(?<!signed )(?<!issued )(?<!dated )(?<!published )\b(?:on|in|as\s+of)\s+(?:early\s+|late\s+|mid-)?"
                    rf"(?P<month>{MONTHS})\s+(?:(?P<day>\d{{1,2}}),\s+)?(?P<year>(?:1[89]|20)\d\d)\b", re.IGNORECASE)


def as_of_date(question: str) -> str | None:
    """The ISO date a question asks about the state of things on, the latest it names ("In February 1954, which
    subdivisions ..." -> the end of that month), or None."""
    dates = []
    for match in _AS_OF.finditer(question):
        month = MONTH_NUMBERS[match.group("month").lower()]
        year = int(match.group("year"))
        day = int(match.group("day")) if match.group("day") else calendar.monthrange(year, month)[1]
        if 1 <= day <= calendar.monthrange(year, month)[1]:
            dates.append(f"{year:04d}-{month:02d}-{day:02d}")
    return max(dates) if dates else None


# a question whose answer is a document: the answer names the documents it quotes
_WHICH_DOCUMENT = re.compile(r"(?<!\bin )\b(?:which|what)\s+(?:(?:later|earlier|new|other|executive|presidential)\s+)?"
                             r"(?:order|proclamation|memorandum|document)s?\b", re.IGNORECASE)


def analyze(question: str, history: Sequence[Turn | dict] = ()) -> QuestionAnalysis:
    """The analysis of a question asked after `history` (turns, or their dicts). A follow-up is searched with
    the last exchange added; a new topic goes through unchanged."""
    turns = tuple(t if isinstance(t, Turn) else Turn.from_dict(t) for t in history)
    question = question.strip()
    if not question:
        raise ValueError("the question is empty")
    asks = kinds_asked(question)
    two = is_about_two_documents(question)
    parts = question_parts(question)
    which_document = bool(_WHICH_DOCUMENT.search(question))
    if not is_follow_up(question, turns):
        return QuestionAnalysis(question, turns, question, question, named=NamedDocuments.in_text(question, years=two),
                                asks=asks, about_two_documents=two, as_of=as_of_date(question), parts=parts,
                                asks_which_document=which_document)
    last_user = next((t.content for t in reversed(turns) if t.role == "user"), "")
    last_answer = next((t.content for t in reversed(turns) if t.role == "assistant"), "")
    context = f"{last_user} {_MARKERS.sub('', last_answer)[:_MAX_CONTEXT_CHARS]}".strip()
    dense_query = f"{question} {context}"[:2000]
    return QuestionAnalysis(question, turns, dense_query, f"{question} {question} {context}",
                            frozenset(tokenize(context)), True, last_user, NamedDocuments.in_text(dense_query, years=two),
                            asks, two, as_of_date(question) or as_of_date(last_user), parts, which_document)
