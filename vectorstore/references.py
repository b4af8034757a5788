"""What a question names that points at particular documents: a date ("the March 14 order") or an order's
number ("EO 14257", "Proclamation 10896")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence


MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
MONTH_NUMBERS = {name.lower(): n for n, name in enumerate(MONTHS.split("|"), start=1)}
_DATE_MENTION = re.compile(
    r"\b(?P<month>" + MONTHS + r")(?:\s+(?P<day>\d{1,2})(?!\d))?(?:,?\s+(?P<year>(?:19|20)\d\d))?\b"
    r"|\b(?P<iso>(?:19|20)\d\d-\d\d-\d\d)\b",
    re.I,
)


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date the question names ("March 14", "March 6, 2025", "March 2025", "2025-03-06"): a day or a year
    may be left out."""

    month: int
    day: int | None
    year: int | None

    def names(self, iso_date: str | None) -> bool:
        """Whether a document dated `iso_date` (YYYY-MM-DD) is one the mention could mean."""
        if not iso_date or len(iso_date) < 10 or not (iso_date[:4] + iso_date[5:7] + iso_date[8:10]).isdigit():
            return False
        year, month, day = int(iso_date[:4]), int(iso_date[5:7]), int(iso_date[8:10])
        return month == self.month and self.day in (None, day) and self.year in (None, year)

    @property
    def like_pattern(self) -> str:
        """A SQL LIKE pattern over ISO dates that matches the documents the mention could mean."""
        year = f"{self.year:04d}" if self.year else "____"
        day = f"{self.day:02d}" if self.day else "__"
        return f"{year}-{self.month:02d}-{day}%"


def date_mentions(question: str) -> list[DateMention]:
    """The dates a question names. A month alone ("in March") is too vague to point at a document and is
    left out; a month with a day or a year is how users refer to orders ("the March 6, 2025 adjustments")."""
    found = []
    for match in _DATE_MENTION.finditer(question):
        if match["iso"]:
            year, month, day = (int(part) for part in match["iso"].split("-"))
        else:
            month = MONTH_NUMBERS[match["month"].lower()]
            day = int(match["day"]) if match["day"] else None
            year = int(match["year"]) if match["year"] else None
            if day is None and year is None:
                continue
        if 1 <= month <= 12 and (day is None or 1 <= day <= 31):
            found.append(DateMention(month, day, year))
    return found


INSTRUMENT = re.compile(
    r"\b(EO|E\.O\.|Executive Order|Proclamation|Presidential Memorandum|Memorandum)\s*(No\.\s*)?(\d{4,5})\b", re.I
)


def instrument_mentions(question: str) -> list[tuple[str, str]]:
    """Orders and proclamations the question names by number, as (kind, number): "EO 14257" -> ("EO", "14257")."""
    return [(match.group(1), match.group(3)) for match in INSTRUMENT.finditer(question)]


_KIND_IN_TITLE = {"eo": r"(?:Executive Order|E\.?O\.?)", "e.o.": r"(?:Executive Order|E\.?O\.?)",
                  "executive order": r"(?:Executive Order|E\.?O\.?)", "proclamation": "Proclamation",
                  "presidential memorandum": "Memorandum", "memorandum": "Memorandum"}


def titles_instrument(title: str, kind: str, number: str) -> bool:
    """Whether a document's title names it as this instrument: "Executive Order 14257: …" for ("EO", "14257"),
    but not "Executive Order 10896: …" for ("Proclamation", "10896")."""
    name = _KIND_IN_TITLE.get(kind.lower(), re.escape(kind))
    return re.search(rf"\b{name}\s*(?:No\.\s*)?{re.escape(number)}\b", title, re.I) is not None


_YEAR = re.compile(r"\b(17[89]\d|1[89]\d\d|20\d\d)\b")  # 1789 on: the first presidency


def year_mentions(text: str) -> list[int]:
    """The years a text names ("Truman's 1950 order and his 1951 one" -> [1950, 1951]), each once, in order."""
    return list(dict.fromkeys(int(year) for year in _YEAR.findall(text)))


_CLAUSE_BREAK = re.compile(r",(?!\s*\d{4})|[;:?()]|\b(?:and|but|while)\b")  # not the comma of "March 6, 2025"


@dataclass(frozen=True, slots=True)
class YearMention:
    """A year that a question about several documents names, with what narrows down which document of the year it
    means: the dates it may be part of ("January 1950": documents dated 1950-01-__) and the clause that names it
    ("Truman's January 1950 mutual defense order")."""

    year: int
    like_pattern: str
    clause: str

    @classmethod
    def in_text(cls, text: str, year: int, dates: Sequence[DateMention] = ()) -> "YearMention":
        pattern = next((d.like_pattern for d in dates if d.year == year), f"{year:04d}-%")
        clause = next((part.strip() for part in _CLAUSE_BREAK.split(text) if str(year) in part), text)
        return cls(year, pattern, clause)


@dataclass(frozen=True, slots=True)
class NamedDocuments:
    """The documents a question points at, read once from its text: orders by number and dates, and, for a question
    about several documents, the years it names (each may point at one of them)."""

    instruments: tuple[tuple[str, str], ...] = ()
    dates: tuple[DateMention, ...] = ()
    years: tuple[YearMention, ...] = ()

    @classmethod
    def in_text(cls, text: str, years: bool = False) -> "NamedDocuments":
        dates = tuple(date_mentions(text))
        return cls(tuple(instrument_mentions(text)), dates,
                   tuple(YearMention.in_text(text, year, dates) for year in year_mentions(text)) if years else ())
