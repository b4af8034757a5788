"""The default, offline answerer: it quotes the sentences of the retrieved passages that answer the question.

Every claim is verbatim from a source, so every citation's quote is exactly `text[start:end]`.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from importlib import resources
from typing import Callable, Generic, Iterable, Mapping, Sequence, TypeVar

import numpy as np

from assistant.answers import Answer, Citation
from ingest.text import split_sentences, strip_span
from vectorstore.hits import RetrievedChunk
from vectorstore.references import MONTHS, date_mentions, instrument_mentions, titles_instrument
from vectorstore.lexical import STOPWORDS, stem, tokenize

MAX_ANSWER_WORDS = 60
MAX_SENTENCES = 3
_LONG_SENTENCE_WORDS = 55
_LIST_WORDS = 80
_MARKUP = re.compile(r"\*\*|^#+\s*|^[-*+]\s+", re.MULTILINE)
_NUMBER_WORDS = r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|sixty|ninety|hundred|thousand|million|billion|trillion"


class _Matches:
    """A pattern whose matches count only where `rejects(text, match)` is false: `search` as `re.Pattern.search`."""

    def __init__(self, pattern: re.Pattern, rejects: Callable[[str, re.Match], bool]) -> None:
        self.pattern = pattern
        self.rejects = rejects

    def search(self, text: str) -> re.Match | None:
        return next((match for match in self.pattern.finditer(text) if not self.rejects(text, match)), None)


@functools.cache
def _country_names() -> dict[str, re.Pattern]:
    """Country names (ISO 3166-1 names and common short forms, the United States left out: every order names it),
    as one pattern per first word: a sentence is scanned for capitalised words, not for 434 alternatives at each
    character."""
    names = resources.files("assistant").joinpath("countries.txt").read_text(encoding="utf-8").split("\n")
    by_first: dict[str, list[str]] = {}
    for name in sorted(filter(None, names), key=len, reverse=True):
        by_first.setdefault(name.split()[0], []).append(name)
    return {first: re.compile("|".join(re.escape(name) for name in group) + r"(?![\w-])")
            for first, group in by_first.items()}


_CAPITALISED = re.compile(r"(?<![\w-])[A-Z][\w'’-]*")
_POSSESSIVE = re.compile(r"['’]s$")


class _CountryName:
    """Finds a country's name in a sentence; the list is read on first use."""

    def search(self, text: str) -> re.Match | None:
        names = _country_names()
        for word in _CAPITALISED.finditer(text):
            # "People's Republic of China" is listed under "People's", "Korea's exports" under "Korea"
            for first in dict.fromkeys((word[0], _POSSESSIVE.sub("", word[0]).rstrip("'’-"))):
                pattern = names.get(first)
                match = pattern.match(text, word.start()) if pattern is not None else None
                if match is not None:
                    return match
        return None


_CITATION_OF = re.compile(r"\b(order|proclamation|memorandum|determination|notice)\s+((no\.\s*)?[\d-]+\s+of|dated)\s+$",
                          re.I)


def _cited(text: str, match: re.Match) -> bool:
    """A date that is part of a citation: in "Executive Order 14231 of March 2, 2025" or "the Executive Order dated
    April 8, 2025" the date names the order cited, so it does not answer "when does it take effect?"."""
    return _CITATION_OF.search(text[max(0, match.start() - 60) : match.start()]) is not None


_UNIT_AFTER = re.compile(r"\s*(-\s*)?(day|days|month|months|year|years|week|weeks|hours?|percent|%)\b", re.I)
_NUMBERING_BEFORE = re.compile(r"\b(sections?|sec\.|subsections?|chapter|title|part|order|proclamation|no\.|" + MONTHS
                               + r"|U\.S\.C\.|C\.F\.R\.|Reg\s*\.|Stat\.|Law|L\.)\s+$", re.I)
# the title number of a citation: "16 U.S.C. 1536", "10 C.F.R. 430.2", "86 Fed. Reg. 71797", "119 Stat. 594"
_CITATION_AFTER = re.compile(r"\s+(U\.S\.C|C\.F\.R|Fed|Stat|CFR|USC)\b", re.I)


# after a number: a clock time's minutes ("12:01 a.m.") or a provision's letter ("215(a)", "1182(f)")
_CLOCK_OR_PROVISION = re.compile(r":\d\d|\([a-z0-9]{1,4}\)")


def _not_a_count(text: str, match: re.Match) -> bool:
    """A number that counts nothing: a time ("30 days", "12:01 a.m."), a provision ("215(a)", "(2)"), a share, a
    year, a date's day, the number of a section, order or proclamation, or a number of a legal citation ("16 U.S.C.
    1536"), which do not answer "how many bitcoins?"."""
    return (re.fullmatch(r"(19|20)\d\d", match[0]) is not None or _UNIT_AFTER.match(text, match.end()) is not None
            or _CLOCK_OR_PROVISION.match(text, match.end()) is not None
            or text[max(0, match.start() - 1) : match.start()] in (":", "(")
            or _CITATION_AFTER.match(text, match.end()) is not None
            or _NUMBERING_BEFORE.search(text[max(0, match.start() - 40) : match.start()]) is not None)


# the label of an enumerated item: "(iv) ", "(b) ", "(12) "
_ITEM_LABEL = r"\((?:[ivx]+|[a-z]|\d{1,2})\)\s"
# three enumerated items or more: "(i) …; (ii) …; and (iii) …"
_ENUMERATION = re.compile(r"(?:^|[\s:;])" + _ITEM_LABEL + r"[^;]*;(?:.|\n)*?[\s;]" + _ITEM_LABEL + r"[^;]*;"
                          r"(?:.|\n)*?[\s;]" + _ITEM_LABEL)
_ASKS_COUNTRIES = r"(which|what) (\S+ )?(countries|country|nations|nation)\b"
_ASKS_STATES = r"(which|what) (U\.S\. |US |American )?states\b"
_US_STATES = ("Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|Idaho|Illinois"
              "|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|Minnesota|Mississippi|Missouri"
              "|Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|New York|North Carolina|North Dakota|Ohio"
              "|Oklahoma|Oregon|Pennsylvania|Rhode Island|South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont"
              "|Virginia|Washington|West Virginia|Wisconsin|Wyoming|District of Columbia")
_ASKS_MONEY = (r"how much (\S+\s){0,3}?(money|funding|funds|capital)\b|how much\b.{0,60}\b(cost|costs|spend|spends|spent|save|saves"
               r"|saved|pay|pays|paid)\b|what is the (\S+\s){0,2}?(cost|price)\b|(what|which) (\S+\s){0,3}?(monetary|dollar amount"
               r"|penalty|penalties|fine|fines)\b")
_ANSWER_TYPES: list[tuple[str, re.Pattern, re.Pattern | _Matches]] = [
    ("period", re.compile(r"\b(how long|how many (days|months|years|weeks)|how (soon|quickly|fast|often|frequently)|within what|deadlines?|due (date|first|sooner|earlier|later)|by when|what (period|timeframe|time frame))\b", re.I),
     re.compile(r"\b\d+\s*(-\s*)?(day|days|month|months|year|years|week|weeks|hours?)\b|\b(" + _NUMBER_WORDS + r")\s+(days|months|years|weeks)\b"
                r"|\bevery\s+(day|week|month|quarter|year)\b|\b(annually|quarterly|monthly|weekly|daily)\b", re.I)),
    ("date", re.compile(r"\b(when|what date|which date|from when|since when|what day|effective date|take effect|start date)\b", re.I),
     # a relative time or a deadline answers "when" too ("effective 30 days from the date of publication",
     # "within 180 days of the date of this order")
     _Matches(re.compile(r"\b(" + MONTHS + r")\s+\d{1,2}(,\s*\d{4})?|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}:\d{2}\s*[ap]\.m\."
                         r"|\b(\d+|" + _NUMBER_WORDS + r")\s+(days?|months?|years?|weeks?)\s+(after|from|following)\b"
                         r"|\bwithin\s+(\d+|" + _NUMBER_WORDS + r")\s+(days?|months?|years?|weeks?)\b"
                         r"|\beffective\s+(immediately|upon)\b", re.I), _cited)),
    # "when does it take effect / start to apply", "from when": the sentence that says when it is effective
    ("start", re.compile(r"\b((take|takes|took) effect|(start|starts|begin|begins) to apply|(become|becomes) effective"
                         r"|go(es)? into effect|come(s)? into force|from when|apply from|kick(s)? in)\b", re.I),
     # not "if this action is not effective in resolving …"
     re.compile(r"\b(effective (immediately|on|upon|as of|with respect|at|for|beginning|from|\d)"
                r"|(be|is|are|become|becomes) effective|take(s)? effect|on or after)\b", re.I)),
    # "how much money / funding", "how much does it cost / spend / save", "what penalty": a sum of money
    ("sum of money", re.compile(_ASKS_MONEY, re.I),
     re.compile(r"\$\s?\d|\b\d[\d,.]*\s+((million|billion|trillion)\s+)?dollars\b", re.I)),
    ("amount", re.compile(r"\b(how much|what (\S+\s){0,3}?(percentage|percent|rate|share|amount|figure|size|value|level|fee|surcharge|duty|tariff|cost|price|budget)s?|which rate|how (large|big|high|low))\b", re.I),
     re.compile(r"\d+(\.\d+)?\s*(%|percent|per cent)|\$\s?\d|\b\d+(\.\d+)?\s*(million|billion|trillion)\b", re.I)),
    # "how does it define “female”", "what is the definition of …": the sentence that says what a term means
    ("definition", re.compile(r"\b(define|defines|defined|definition|definitions|meaning of|what does (the term )?\S+ mean|what (counts|qualifies) as|what is meant by)\b", re.I),
     re.compile(r"[”\"’]\s*(means|shall mean|refers to|has the meaning)\b", re.I)),
    # "who must …", "which official is told to …": a sentence in which an official acts or is acted through
    ("official", re.compile(r"(^|[,;:?.]\s+|\band\s+)(who|whom|whose)\b|\b(which|what) (\S+ ){0,2}?(official|officials|officer|secretary|secretaries|cabinet)\b", re.I),
     # the official opens its clause ("(a) The Director of … shall", ", the Secretary of State … may"), not "… shall be
     # the Chair of the Task Force, and the Vice President shall"
     re.compile(r"(?:^|(?<=[.;:,] )|(?<=\) ))(?:[Tt]he )?(Secretary|Attorney General|Director|Administrator|Chief Executive Officer|"
                r"Commissioner|Trade Representative|Assistant to the President|Chair of|Chairman of)\b[^.;:]{0,80}?\b(shall|may|must|will)\b"
                r"|\b(by|to|at|upon notification by|of) the (Secretary|Attorney General|Director|Administrator|Chief Executive Officer|"
                r"Commissioner|Assistant to the President)\b(?!-)")),
    # "which agencies were on the list", "which products are listed": the enumeration itself, three items or more
    ("list", re.compile(r"\b(on the list|on that list|the list of|listed|enumerated|(which|what)( are| were)?( the)? "
                        r"(three|four|five|six|seven|eight|nine|ten|eleven|twelve))\b", re.I), _ENUMERATION),
    # "which department houses …": a department, agency or office named
    ("department", re.compile(r"\b(which|what) (\S+ ){0,2}?(department|departments|agency|agencies|office)\b", re.I),
     re.compile(r"\b(Department|Agency|Office|Bureau|Administration) (of|for) (the )?[A-Z]")),
    ("country", re.compile(r"\b" + _ASKS_COUNTRIES, re.I), _CountryName()),
    ("State", re.compile(r"\b" + _ASKS_STATES, re.I), re.compile(r"\b(" + _US_STATES + r")\b")),
    # "how big is the council?" asks for a count of members as much as for an amount
    ("number", re.compile(r"\b(how many|what number|number of|how (large|big)|(what|which) (\S+\s){0,4}?(ceiling|cap|quota|target|goal)s?)\b", re.I),
     # not a part of a dotted number ("10 C.F.R. 430.2", "9903.01.63")
     _Matches(re.compile(r"(?<![\d.])\b\d+\b(?!\.\d)|\b(" + _NUMBER_WORDS + r")\b", re.I), _not_a_count)),
]
# Openings that ask for exactly one kind of fact; an answer without it does not answer the question.
_REQUIRED_OPENINGS: dict[str, re.Pattern] = {
    "sum of money": re.compile(_ASKS_MONEY, re.I),
    "period": re.compile(r"(how long|how many (days|months|years|weeks|hours)|how (soon|quickly|fast|often|frequently)|within what|by when)\b", re.I),
    "date": re.compile(r"(when|(on|from|as of|since) when|((on|by|from|before|until) )?(what|which) date)\b", re.I),
    "amount": re.compile(r"(how much|(what|which) (\S+\s){0,5}?(rate|percentage|share|cost|price)s?)\b", re.I),
    "number": re.compile(r"(how many|(what|which) (\S+\s){0,4}?(ceiling|cap|quota)s?)\b", re.I),
    "country": re.compile(_ASKS_COUNTRIES, re.I),
    "State": re.compile(_ASKS_STATES, re.I),
}
# what the Federal Register prints around an order, never an answer: "[FR Doc. 2025-02011 Filed 1-29-25; 8:45 am]
# Billing code 3395-F4-P", "Trump.EPS THE WHITE HOUSE, January 20, 2025."
_PUBLICATION_LINE = re.compile(r"\bBilling code\b|\[FR Doc\.|\bFiled \d{1,2}-\d{1,2}-\d{2}\b|\.EPS\b|\bTHE WHITE HOUSE,")
_LEAD_IN = re.compile(r"^\W*((and|so|but|then|also|ok|okay)\b[\s,]*)*", re.I)
_WINDOW_WORDS = 30
_EACH = re.compile(r"\b(both|each)\b", re.I)


@dataclass(slots=True, eq=False)  # compared by identity: it carries a numpy vector
class Candidate:
    """A sentence (or clause of a long sentence) that could be quoted."""

    chunk: RetrievedChunk
    start: int
    end: int
    text: str
    chunk_rank: int
    terms: frozenset[str] = frozenset()
    context: frozenset[str] = frozenset()
    matched: set[str] = field(default_factory=set)
    vector: np.ndarray | None = None
    dense: float = 0.0
    lexical: float = 0.0
    score: float = 0.0
    title_like: bool = False
    lead: tuple[int, int] | None = None  # the opening window of its sentence, when this is a later window
    spelled: str = ""  # its text with the short forms its document defines spelled out
    section: str = ""

    @property
    def words(self) -> int:
        return len(self.text.split())


K = TypeVar("K")
V = TypeVar("V")


class _Lru(Generic[K, V]):
    """A bounded map that forgets the least recently used entry first; a None made for a key is not kept."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._items: OrderedDict[K, V] = OrderedDict()

    def get_or_make(self, key: K, make: Callable[[], V | None]) -> V | None:
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key]
        value = make()
        if value is None:
            return None
        self._items[key] = value
        while len(self._items) > self.limit:
            self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        self._items.clear()


@dataclass(frozen=True, slots=True)
class _Unit:
    """What a chunk offers to quote, before any question: a span, its terms and context."""

    start: int
    end: int
    quote: str
    key: str  # display text, lowercased: the same sentence in two passages is offered once
    terms: frozenset[str]
    context: frozenset[str]
    title_like: bool
    lead: tuple[int, int] | None = None
    spelled: str = ""
    section: str = ""


@dataclass(slots=True)
class ExtractiveConfig:
    """Weights of the sentence score, the selection rules and the refusal threshold (tuned on the dev questions).

    score = dense_weight·cosine(sentence, question) + lexical_weight·(idf-weighted share of the question's terms
    in the sentence, `inherited_weight` for terms only in its heading or list introduction, or in its document's
    title when the title holds at least `title_cover` of the question's term weight: "What is the Iron Dome for America?";
    plus `context_weight` times the share of the conversation's other terms, for a follow-up)
    + chunk_weight·cosine(chunk, question) + rank_weight/(1 + chunk rank) + answer_type_bonus
    + date_bonus when the question names the document's date ("the March 14 order")
    − penalties for boilerplate, title-like and dangling (":"-ended) sentences, and for a follow-up, for sentences
    that repeat the earlier answer.
    Only the `dense_candidates` best by the cheap part of the score are embedded (with the best `typed_candidates`
    that state the kind of fact asked for, when none of them does, and the same from the first document retrieved,
    when none of its few does), each by its first `embed_words` words after its
    section's title.
    """

    dense_weight: float = 0.55
    lexical_weight: float = 0.45
    rank_weight: float = 0.04
    answer_type_bonus: float = 0.12
    chunk_weight: float = 0.15
    boilerplate_penalty: float = 0.15
    title_penalty: float = 0.15
    dangling_penalty: float = 0.1
    inherited_weight: float = 0.5
    context_weight: float = 0.45
    title_cover: float = 0.6
    date_bonus: float = 0.15
    # a follow-up is not answered by what the user was just told: a sentence with repeat_share of its terms in the
    # earlier answer loses repeat_penalty
    repeat_share: float = 0.6
    repeat_penalty: float = 0.2
    dense_candidates: int = 6
    typed_candidates: int = 1  # more to embed when none of the few states the kind of fact asked for
    embed_words: int = 40
    # selection: after the best sentence, others scoring ≥ keep_ratio·best join when they score ≥ close_ratio·best
    # or add ≥ min_gain of the question's term weight, within max_words in all
    keep_ratio: float = 0.85
    close_ratio: float = 0.95
    min_gain: float = 0.15
    typed_keep_ratio: float = 0.65
    max_words: int = 75
    # a window from the middle of a long sentence is preceded by the sentence's opening window, within max_words
    quote_openings: bool = True
    # a quote that points elsewhere in its order ("the action listed in section 2(a) of this order") is followed by
    # the item it points to, when that item is short and the answer has room
    quote_referents: bool = True
    # a question in several parts ("…, and from when?"): each part left open gets the candidate that answers it best
    # (scored against the part alone), if that scores ≥ part_keep_ratio·best; another document only when it answers
    # the part better by part_new_source_margin; the answer to a question that asks several things may run to
    # multi_part_max_words
    part_keep_ratio: float = 0.7
    multi_part_max_words: int = 110
    # the best sentences, by a part's terms, of each document that retrieval found for that part alone
    part_candidates: int = 2
    part_new_source_margin: float = 0.1
    refusal_threshold: float = 0.45


def display_text(quote: str) -> str:
    """A quote as it reads in an answer: Markdown markup and line breaks folded (the citation keeps the exact text)."""
    return " ".join(_MARKUP.sub("", quote).split())


class ExtractiveAnswerer:
    """Selects 1–3 sentences that answer the question and cites each."""

    def __init__(
        self,
        embed: Callable[..., np.ndarray],
        document_text: Callable[[str], str | None],
        idf: Callable[[Sequence[str]], dict[str, float]],
        is_boilerplate: Callable[[str], bool] = lambda sentence: False,
        config: ExtractiveConfig | None = None,
        mentioned: Callable[..., bool] = lambda term, prefix=False: True,
    ) -> None:
        self.embed = embed
        self.document_text = document_text
        self.idf = idf
        self.is_boilerplate = is_boilerplate
        self.mentioned = mentioned
        self.config = config or ExtractiveConfig()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._abbreviations: _Lru[tuple[str, int], dict[str, str]] = _Lru(256)
        self._sections: _Lru[tuple[str, int], Callable[[int], str]] = _Lru(256)
        self._initials: _Lru[str, frozenset[str]] = _Lru(4096)
        self._units_cache: _Lru[tuple[str, int, int], list[_Unit]] = _Lru(4096)

    def abbreviations_of(self, source: str, text: str) -> dict[str, str]:
        return self._abbreviations.get_or_make((source, hash(text)), lambda: abbreviations(text))

    def _name_mentioned(self, name: str) -> bool:
        """Whether the corpus has every word of the name; a longer word matches by its stem, so "Chinese"
        finds "China"."""
        for word in name.split():
            token = word.lower().removesuffix("’s").removesuffix("'s")
            if token in STOPWORDS or self.mentioned(stem(token)):
                continue
            if (prefix := stem_prefix(token)) is not None and self.mentioned(prefix, prefix=True):
                continue
            return False
        return True

    def candidates(self, chunks: Sequence[RetrievedChunk]) -> list[Candidate]:
        found: list[Candidate] = []
        seen: set[str] = set()
        for rank, chunk in enumerate(chunks):
            for unit in self._units(chunk):
                if unit.key in seen:
                    continue
                seen.add(unit.key)
                found.append(Candidate(chunk=chunk, start=unit.start, end=unit.end, text=unit.quote, chunk_rank=rank,
                                       terms=unit.terms, context=unit.context,
                                       title_like=unit.title_like, lead=unit.lead, spelled=unit.spelled, section=unit.section))
        return found

    def _units(self, chunk: RetrievedChunk) -> list[_Unit]:
        """The quotable units of a chunk, cached: the same passages come back for related questions."""
        # the id hashes the chunk's source and text; the same text can move within an edited document
        key = (chunk.chunk_id, chunk.start, chunk.end)
        return self._units_cache.get_or_make(key, lambda: self._make_units(chunk)) or []

    def _make_units(self, chunk: RetrievedChunk) -> list[_Unit] | None:
        text = self.document_text(chunk.source)
        if text is None:
            return None
        units: list[_Unit] = []
        sentences = split_sentences(text, chunk.start, chunk.end)
        title_terms = set(tokenize(chunk.title))
        heading_terms = set(tokenize(chunk.heading))
        intros = _list_intros(text, sentences)
        defined = self.abbreviations_of(chunk.source, text)
        section_at = self._sections.get_or_make((chunk.source, hash(text)), lambda: section_titles(text))
        spans = [(start, end, intros.get(index)) for index, (start, end) in enumerate(sentences)]
        # "Such position shall be …" says what of only with the sentence before it, so the two are also offered together
        spans += [(before, end, None) for before, end in _with_antecedents(text, sentences, intros)]
        for start, end, intro in spans + _lists(text, sentences):
            if _is_heading(text, start, end):
                continue
            context = heading_terms | (set(tokenize(text[intro[0]:intro[1]])) if intro else set())
            whole_list = intro is not None and end > intro[1] and text[start:end].count("\n") > 0
            start = _after_heading_lines(text, start, end)
            pieces = [(start, end)] if whole_list else _answer_units(text, start, end)
            opening = strip_span(text, *pieces[0]) if len(pieces) > 1 else None
            for s, e in pieces:
                s, e = strip_span(text, s, e)
                quote = text[s:e]
                shown = display_text(quote)
                if len(shown.split()) < 4 or _PUBLICATION_LINE.search(shown):
                    continue
                # the terms count an abbreviation's long form too; the sentence is embedded as written
                spelled = spell_out(shown, defined)
                terms = frozenset(tokenize(spelled))
                lead = opening if opening and opening[0] < s and not _sibling_items(text, opening, (s, e)) else None
                units.append(_Unit(s, e, quote, shown.lower(), terms, frozenset(context - terms),
                                   len(terms & title_terms) >= 0.8 * max(len(terms), 1), lead, spelled,
                                   section_at(s)))
        return units

    def score(self, question: str, query_vector: np.ndarray, candidates: list[Candidate], context_terms: set[str] = frozenset(),
              earlier_question: str = "", named: Sequence[str] = (), earlier_answer: str = "",
              part_sources: Mapping[str, Sequence[str]] | None = None) -> list[Candidate]:
        """Score candidates: a cheap lexical pass for all, then embeddings for the most promising few.

        A follow-up that names no date of its own keeps the dates its earlier question named ("the February 19
        order" … "How quickly did the heads of those entities have to report?"), and its sentences that repeat
        `earlier_answer` score less ("When does that rescission take effect?" is not answered by the rescission
        just quoted). The best candidate of each `named` document is fully scored even when it is not among the
        most promising few, and so are the `part_candidates` best of the documents that retrieval found for one
        part of the question alone (`part_sources`, part → documents), by that part's terms.

        Returns the candidates that were fully scored, best first.
        """
        q_terms = set(tokenize(question))
        asked, premise = split_premise(question)
        if premise:
            # what the question states first is context, like an earlier turn's: the last sentence is what it asks
            q_terms = set(tokenize(asked))
            context_terms = set(context_terms) | (set(tokenize(premise)) - q_terms)
        weights = self.idf(sorted(q_terms | set(context_terms))) if (q_terms or context_terms) else {}
        total = sum(weights.get(t, 0.0) for t in q_terms) or 1.0
        context_total = sum(weights.get(t, 0.0) for t in set(context_terms) - q_terms) or 1.0
        wanted = _wanted(question)
        # "FEMA" in the question matches "Federal Emergency Management Agency" written out
        acronyms = [(word.lower(), term) for word in _ACRONYM.findall(question) for term in tokenize(word)]
        told = set(tokenize(earlier_answer))
        cfg = self.config
        named_by_title: dict[str, frozenset[str]] = {}
        dates_named = date_mentions(question) or date_mentions(earlier_question)
        dated: dict[str | None, bool] = {}
        for candidate in candidates:
            title, date = candidate.chunk.title, candidate.chunk.date
            if date not in dated:
                dated[date] = any(mention.names(date) for mention in dates_named)
            if title not in named_by_title:
                in_title = q_terms & set(tokenize(title))
                covers = sum(weights.get(t, 0.0) for t in in_title) >= cfg.title_cover * total
                named_by_title[title] = frozenset(in_title) if covers else frozenset()
            candidate.matched = q_terms & candidate.terms
            if acronyms:
                initials = self._initials.get_or_make(candidate.spelled, lambda: initialisms(candidate.spelled))
                candidate.matched |= {term for letters, term in acronyms if letters in initials}
            overlap = sum(weights.get(t, 0.0) for t in candidate.matched)
            inheritable = candidate.context | named_by_title[title]
            inherited = sum(weights.get(t, 0.0) for t in (q_terms & inheritable) - candidate.matched)
            context = sum(weights.get(t, 0.0) for t in (context_terms - q_terms) & candidate.terms)
            # the conversation's terms count by their own share, so a short follow-up is not swamped by them
            candidate.lexical = min(1.0, (overlap + cfg.inherited_weight * inherited) / total
                                    + cfg.context_weight * context / context_total)
            score = cfg.lexical_weight * candidate.lexical
            score += cfg.rank_weight / (1 + candidate.chunk_rank)
            score += cfg.chunk_weight * (candidate.chunk.dense_score or 0.0)
            if wanted and any(entity.search(candidate.text) for entity in wanted):
                score += cfg.answer_type_bonus
            if dated[date]:
                score += cfg.date_bonus
            if self.is_boilerplate(candidate.text):
                score -= cfg.boilerplate_penalty
            if candidate.title_like:
                score -= cfg.title_penalty
            if candidate.text.rstrip().endswith(":"):
                score -= cfg.dangling_penalty
            if told and candidate.terms and len(candidate.terms & told) >= cfg.repeat_share * len(candidate.terms):
                score -= cfg.repeat_penalty
            candidate.score = score
        ranked = sorted(candidates, key=lambda c: -c.score)
        shortlist = ranked[: cfg.dense_candidates]
        for source in named:
            if not any(c.chunk.source == source for c in shortlist):
                shortlist += [c for c in ranked if c.chunk.source == source][:1]
        for part, sources in (part_sources or {}).items():
            part_terms, kinds = set(tokenize(part)), _wanted(part)
            found = [c for c in ranked if c.chunk.source in sources and c not in shortlist]
            # a sentence that states the kind of fact the part asks for comes first, then by the part's terms
            found.sort(key=lambda c: (-any(kind.search(c.text) for kind in kinds),
                                      -sum(weights.get(t, 0.0) for t in part_terms & (c.terms | c.context))))
            shortlist += found[: cfg.part_candidates]
        # an answer that must state a period or an amount can only be chosen if it is scored
        if wanted and not any(kind.search(c.text) for c in shortlist for kind in wanted):
            shortlist += [c for c in ranked[cfg.dense_candidates:]
                          if any(kind.search(c.text) for kind in wanted)][: cfg.typed_candidates]
        # … and so must the first document's: the sentence that states it may share no word with the question
        # ("Which official is told to shut down the leadership-training school …?": "The Director of … shall take
        # all necessary steps to eliminate the Federal Executive Institute")
        first = {c.chunk.source for c in candidates if c.chunk_rank == 0}
        if wanted and not any(kind.search(c.text) for c in shortlist if c.chunk.source in first for kind in wanted):
            shortlist += [c for c in ranked if c not in shortlist and c.chunk.source in first
                          and any(kind.search(c.text) for kind in wanted)][: cfg.typed_candidates]
        if shortlist:
            # the opening words carry a sentence's topic, and its section's title what the section is about
            # ("Prohibition of Central Bank Digital Currencies: (a) … agencies are hereby prohibited …"); embedding
            # the rest of a long sentence cost time and moved no dev figure
            vectors = self._embed_cached([(f"{c.section}: " if c.section else "")
                                          + " ".join(display_text(c.text).split()[: cfg.embed_words]) for c in shortlist])
            for candidate, vector in zip(shortlist, vectors):
                candidate.vector = vector
                candidate.dense = float(vector @ query_vector)
                candidate.score += cfg.dense_weight * candidate.dense
        shortlist.sort(key=lambda c: -c.score)
        return shortlist

    def vectors(self, texts: list[str]) -> np.ndarray:
        """Embeddings of texts (sentences, parts of a question), cached: the same ones come back for related
        questions, and a part searched alone is scored against its own embedding again."""
        return self._embed_cached(texts)

    def _embed_cached(self, texts: list[str]) -> np.ndarray:
        """Sentence vectors with an LRU cache: the same passages come back for related questions."""
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            # small length-sorted batches: a few short sentences pad less than one batch of all
            for text, vector in zip(missing, self.embed(missing, batch_size=4)):
                self._cache[text] = vector
        for text in texts:
            self._cache.move_to_end(text)
        while len(self._cache) > 20000:
            self._cache.popitem(last=False)
        return np.vstack([self._cache[t] for t in texts])

    def select(self, candidates: list[Candidate], wanted: Sequence[re.Pattern] = (), weights: dict[str, float] | None = None,
               parts: Sequence[str] = (), named: Sequence[str] = (),
               part_sources: Mapping[str, Sequence[str]] | None = None) -> list[Candidate]:
        """The best candidate; for a question that names several documents, the best sentence of each one not yet
        quoted; for a question in several parts, the best answer to each part it leaves open; then more that score
        nearly as well or add question terms, up to three in all."""
        ranked = sorted(candidates, key=lambda c: -c.score)
        if not ranked:
            return []
        weights = weights or {}
        total = sum(weights.get(t, 0.0) for t in set().union(*(c.matched for c in ranked))) or 1.0
        best = ranked[0]
        chosen = [best]
        if wanted and not any(e.search(best.text) for e in wanted):
            # from the best sentence's document, the first one retrieved, or another the question names: a look-alike
            # order's date or amount is not the one asked for
            sources = {best.chunk.source, *named, *(c.chunk.source for c in ranked if c.chunk_rank == 0)}
            typed = next((c for c in ranked[1:] if c.chunk.source in sources and any(e.search(c.text) for e in wanted)),
                         None)
            if typed is not None and typed.score >= self.config.typed_keep_ratio * best.score:
                chosen.append(typed)
        words = sum(c.words for c in chosen)
        for source in named:
            if len(chosen) >= MAX_SENTENCES or any(c.chunk.source == source for c in chosen):
                continue
            pick = next((c for c in ranked if c.chunk.source == source), None)
            if (pick is not None and pick.score >= self.config.part_keep_ratio * best.score
                    and words + pick.words <= self.config.multi_part_max_words):
                chosen.append(pick)
                words += pick.words
        for part in parts if len(parts) > 1 else ():
            if len(chosen) >= MAX_SENTENCES:
                break
            pick = self._answer_to_part(part, ranked, chosen, weights, best.score, words,
                                        (part_sources or {}).get(part, ()))
            if pick is not None:
                chosen.append(pick)
                words += pick.words
            if len(named) > 1 and _EACH.search(part):
                # "…, and when do both sunset?": the part is answered from each document the question names, unless
                # a sentence quoted from it already states the kind of fact the part asks for
                kinds = _wanted(part)
                answered = {c.chunk.source for c in chosen if any(kind.search(c.text) for kind in kinds)}
                if pick is not None:
                    answered.add(pick.chunk.source)
                for source in named:
                    # two orders asked two things each: one sentence more than usual
                    if source in answered or len(chosen) > MAX_SENTENCES:
                        continue
                    own = self._answer_to_part(part, [c for c in ranked if c.chunk.source == source], chosen, weights,
                                               best.score, words, (source,))
                    if own is not None:
                        chosen.append(own)
                        words += own.words
        covered = set().union(*(c.matched for c in chosen))
        # a question that asks several things may get a longer answer ("…, and from when?")
        budget = self.config.multi_part_max_words if len(_parts_that_ask(parts)) > 1 else self.config.max_words
        for candidate in ranked[1:]:
            if len(chosen) >= MAX_SENTENCES or candidate.score < self.config.keep_ratio * best.score:
                break
            if candidate in chosen or any(_redundant(candidate, other) for other in chosen):
                continue
            if words + candidate.words > budget:
                continue
            gain = sum(weights.get(t, 0.0) for t in candidate.matched - covered) / total
            close = candidate.score >= self.config.close_ratio * best.score
            if not (close or gain >= self.config.min_gain):
                continue
            chosen.append(candidate)
            covered |= candidate.matched
            words += candidate.words
        if _ENUMERATION in wanted and (rest := self._rest_of_list(chosen[0], words)) is not None:
            chosen.insert(1, rest)
        chosen.sort(key=lambda c: (c.chunk_rank, c.chunk.source, c.start))
        return chosen

    def _rest_of_list(self, quoted: Candidate, words: int) -> Candidate | None:
        """For a question about what is on a list, the items that follow a quote that stops inside the list (an
        introduction and its first items fill the word limit of one quote), as many as the answer has room for."""
        text = self.document_text(quoted.chunk.source)
        lines = quoted.text.strip().split("\n")
        label = _LIST_ITEM.match(lines[-1]) if len(lines) > 1 else None
        if text is None or label is None:
            return None
        style = _enumerator_style(label.group(1))
        items: list[tuple[int, int]] = []
        for item_start, item_end in split_sentences(text, quoted.end, min(len(text), quoted.end + 3000)):
            item = _LIST_ITEM.match(text[item_start:item_end])
            if item is None or _enumerator_style(item.group(1)) != style:
                break
            words += len(text[item_start:item_end].split())
            if words > self.config.multi_part_max_words:
                break
            items.append((item_start, item_end))
        if not items:
            return None
        start, end = items[0][0], items[-1][1]
        return Candidate(chunk=quoted.chunk, start=start, end=end, text=text[start:end], chunk_rank=quoted.chunk_rank,
                         score=quoted.score)

    def _answer_to_part(self, part: str, ranked: list[Candidate], chosen: list[Candidate], weights: dict[str, float],
                        best_score: float, words: int, found_for_part: Sequence[str] = ()) -> Candidate | None:
        """The candidate that best answers one part of the question, when it is not chosen yet.

        Candidates are scored against the part alone (its embedding, its terms, the kind of fact it asks for). One
        from a document that retrieval found for this part alone (`found_for_part`) need not score well against
        the whole question, which is mostly about the other parts."""
        cfg = self.config
        scored = [c for c in ranked if c.vector is not None]
        if not scored:
            return None
        part_vector = self._embed_cached([part])[0]
        terms = set(tokenize(part))
        total = sum(weights.get(t, 0.0) for t in terms) or 1.0
        kinds = _wanted(part)

        def part_score(candidate: Candidate) -> float:
            coverage = sum(weights.get(t, 0.0) for t in terms & (candidate.terms | candidate.context)) / total
            typed = cfg.answer_type_bonus if kinds and any(kind.search(candidate.text) for kind in kinds) else 0.0
            return cfg.dense_weight * float(candidate.vector @ part_vector) + cfg.lexical_weight * coverage + typed

        top = max(scored, key=part_score)
        sources = {c.chunk.source for c in chosen}
        if top.chunk.source not in sources:
            # another document must answer the part clearly better than the documents already quoted
            same = [c for c in scored if c.chunk.source in sources]
            if same and part_score(top) < max(map(part_score, same)) + cfg.part_new_source_margin:
                top = max(same, key=part_score)
        if top in chosen or any(_redundant(top, other) for other in chosen):
            return None
        if top.chunk.source not in found_for_part and top.score < cfg.part_keep_ratio * best_score:
            return None
        if words + top.words > cfg.multi_part_max_words:
            return None
        return top

    def answer(
        self,
        question: str,
        chunks: Sequence[RetrievedChunk],
        query_vector: np.ndarray,
        context_terms: set[str] = frozenset(),
        threshold: float | None = None,
        earlier_question: str = "",
        earlier_answer: str = "",
        part_sources: Mapping[str, Sequence[str]] | None = None,
    ) -> Answer:
        unknown = [term for term in identifiers(question) if not self.mentioned(term)]
        unknown += [name for name in proper_names(question) if not self._name_mentioned(name)]
        if unknown:
            return refusal(question, chunks, f"No document mentions {', '.join(unknown)}.")
        pool = self.candidates(chunks)
        topic = asked_topic(question)
        if topic is not None:
            # what a document named by number says is read from that document alone
            titles = {c.chunk.source: c.chunk.title for c in pool}
            numbered = {source: title for source, title in titles.items() if names_by_number(question, title)}
            if numbered:
                pool = [c for c in pool if c.chunk.source in numbered]
                if not any(topic.search(c.text) for c in pool):
                    return refusal(question, chunks, f"{order_names(numbered.values())} says nothing about {topic.words}.")
        # a question that names two documents ("the Jenner & Block and WilmerHale orders") is answered from both
        named = titles_named(question, pool)
        # … or by two dates ("the February 1 order … the February 3 follow-up")
        named = named if len(named) > 1 else dates_named(question, pool)
        # each part is scored in each document the question names ("…, and when do both sunset?")
        scored_for_parts = {part: list(dict.fromkeys([*(part_sources or {}).get(part, ()), *named]))
                            for part in (asking_parts(question) if len(named) > 1 else ())} or part_sources
        candidates = self.score(question, query_vector, pool, context_terms, earlier_question, named, earlier_answer,
                                scored_for_parts)
        chosen = self.select(candidates, _wanted(question), self.idf(sorted(set(tokenize(question)))), question_parts(question),
                             named, part_sources)
        threshold = self.config.refusal_threshold if threshold is None else threshold
        # "What does EO 14257 say about India?" is answered by what the order says of India, however little
        on_topic = topic is not None and any(topic.search(c.text) for c in chosen)
        if not chosen or (max(c.score for c in chosen) < threshold and not on_topic):
            return refusal(question, chunks)
        # a question of several parts is answered for the parts the documents state, not refused for one
        # … nor for a qualifier put first ("According to the reserve order, how many bitcoins …?")
        asking = _parts_that_ask(question_parts(question))
        required = [] if len(asking) > 1 else _required(asking[0] if asking else question)
        if required and not any(entity.search(c.text) for c in chosen for _, entity in required):
            if topic is not None:
                return refusal(question, chunks, f"The passages found say nothing about {topic.words}.")
            return refusal(question, chunks, f"The documents found do not state the {required[0][0]} asked for.")
        absent = absent_instruments(question, chunks, chosen)
        if absent:
            return refusal(question, chunks, f"No ingested document is {absent[0]}, and the passages that cite it do "
                                             "not answer this.")
        date, dated = dated_documents(question, pool)
        if chunks and chunks[0].source in dated and not any(c.chunk.source in dated for c in chosen):
            # "the February 5 amendment", when retrieval finds it first, is answered by that order, not by a
            # look-alike of another date; a date misremembered ("the January 20 order" for a March one) is not
            return refusal(question, chunks,
                           f"The passages of {order_names(dated.values())}, the order of {date}, do not answer this.")

        return quoted_answer(question, self._quotes(chosen, chunks))

    def _quotes(self, chosen: list[Candidate], passages: Sequence[RetrievedChunk] = ()) -> list[tuple[Candidate, int, int, str]]:
        """The spans to quote for the chosen candidates, while the answer has room:

        - the best quote, when it refers to an item of its own order ("the action listed in section 2(a) of this
          order"), is followed by that item ("(a) Proclamation 10908 of March 26, 2025 (Adjusting Imports of
          Automobiles …)") if a passage holds it; lesser sentences give way to it, since without it the quote
          names only a section number;
        - a window from the middle of a long sentence is preceded by the sentence's opening window, which holds its
          subject and often its deadline ("Within 90 days …, the Secretary shall submit a report … including a
          recommendation on Macau").
        """
        quoted = [(c.chunk.source, c.start, c.end) for c in chosen]
        referents = self._referents(chosen[0], passages, quoted) if chosen and self.config.quote_referents else []
        needed = sum(r.words for r in referents)
        while referents and len(chosen) > 1 and sum(c.words for c in chosen) + needed > self.config.max_words:
            chosen = chosen[:-1]
        words = sum(c.words for c in chosen) + needed
        quotes: list[tuple[Candidate, int, int, str]] = []
        for candidate in chosen:
            lead = candidate.lead if self.config.quote_openings else None
            text = self.document_text(candidate.chunk.source) if lead else None
            if lead and text is not None:
                lead_words = len(text[lead[0]:lead[1]].split())
                taken = any(c.chunk.source == candidate.chunk.source and c.start < lead[1] and lead[0] < c.end
                            for c in chosen)
                if not taken and words + lead_words <= self.config.max_words:
                    quotes.append((candidate, lead[0], lead[1], text[lead[0]:lead[1]]))
                    words += lead_words
            quotes.append((candidate, candidate.start, candidate.end, candidate.text))
            if candidate is chosen[0]:
                quotes.extend((referent, referent.start, referent.end, referent.text) for referent in referents)
        return quotes

    def _referents(self, candidate: Candidate, passages: Sequence[RetrievedChunk],
                   quoted: list[tuple[str, int, int]]) -> list[Candidate]:
        """The items of its own order that the candidate refers to by section and letter, each as a candidate in
        the passage that holds it; items already quoted, longer than `_REFERENT_WORDS`, or in no passage are left."""
        references = list(_SECTION_ITEM_REFERENCE.finditer(candidate.text))
        text = self.document_text(candidate.chunk.source) if references else None
        if text is None:
            return []
        found: list[Candidate] = []
        quoted = list(quoted)
        for reference in references:
            span = section_item(text, int(reference["section"]), reference["item"])
            # an item that only introduces a list (":") says nothing by itself
            if span is None or len(text[span[0]:span[1]].split()) > _REFERENT_WORDS or text[span[1] - 1] == ":":
                continue
            start, end = span
            if any(source == candidate.chunk.source and s < end and start < e for source, s, e in quoted):
                continue
            chunk = next((c for c in passages if c.source == candidate.chunk.source and c.start <= start and end <= c.end),
                         None)
            if chunk is not None:
                found.append(Candidate(chunk=chunk, start=start, end=end, text=text[start:end],
                                       chunk_rank=candidate.chunk_rank, score=candidate.score))
                quoted.append((candidate.chunk.source, start, end))
        return found


def quoted_answer(question: str, quotes: Sequence[tuple[Candidate, int, int, str]]) -> Answer:
    """The answer that quotes each span, marked [1], [2], …, with one citation per marker."""
    citations, parts = [], []
    for n, (candidate, start, end, quote) in enumerate(quotes, start=1):
        chunk = candidate.chunk
        citations.append(
            Citation(n=n, source=chunk.source, title=chunk.title, chunk_id=chunk.chunk_id, quote=quote,
                     start=start, end=end, page=chunk.page, score=candidate.score,
                     heading=chunk.heading, date=chunk.date)
        )
        shown = display_text(quote)
        if shown[-1] not in ".!?:;\"”’)":
            shown += " …"
        parts.append(f"{shown} [{n}]")
    return Answer(question=question, answer=" ".join(parts), citations=citations, refused=False, mode="extractive")


_SECTION_ITEM_REFERENCE = re.compile(
    r"\bsections?\s+\(?(?P<section>\d+)\)?\s*\((?P<item>[a-z])\)(?:\s+through\s+\S+)?\s+of\s+this\s+(?:order|proclamation|memorandum)\b",
    re.I)
_SECTION_START = re.compile(r"^[#*\s]*(?:Sec\.|Section)\s*(\d+)\.", re.M | re.I)
_REFERENT_WORDS = 40


_PREMISE_END = re.compile(r"(?<=[a-z0-9)][.!])\s+(?=[A-Z])")


def split_premise(question: str) -> tuple[str, str]:
    """(the question asked, the statement before it): "The order sets up a mechanism for legal resources. What kind
    of outside help must that mechanism use?" asks the second sentence; ("question", "") when there is no statement."""
    pieces = _PREMISE_END.split(question.strip())
    if len(pieces) < 2 or not pieces[-1].endswith("?"):
        return question, ""
    return pieces[-1], " ".join(pieces[:-1])


_POSSESSIVE_IN_TEXT = re.compile(r"(?<=\w)['’]s\b")


def titles_named(question: str, candidates: Sequence[Candidate]) -> list[str]:
    """The documents the question names by a capitalised word or a number of their title that no other candidate
    document's title has ("the Jenner & Block and WilmerHale orders", "EO 14222 and EO 14240")."""
    # from the second letter on: the question's first word is capitalised for being first
    names = _CAPITALISED.findall(question[1:]) + re.findall(r"\b\d{4,}\b", question)
    asked = {term for name in names for term in tokenize(name)}
    # "America's 250th Birthday" is named by "America"
    titles = {source: asked & set(tokenize(_POSSESSIVE_IN_TEXT.sub("", title)))
              for source, title in {c.chunk.source: c.chunk.title for c in candidates}.items()}
    counts = Counter(term for terms in titles.values() for term in terms)
    return [source for source, terms in titles.items() if any(counts[term] == 1 for term in terms)]


def order_names(titles: Iterable[str]) -> str:
    """Orders as a refusal names them: "Executive Order 14200 and Executive Order 14201", from their titles."""
    return " and ".join(dict.fromkeys(title.split(":")[0] for title in titles))


def dates_named(question: str, candidates: Sequence[Candidate]) -> list[str]:
    """The documents a question names by two or more dates, the best ranked of each date ("the February 1 Canada
    order … the February 3 follow-up"); none when fewer than two documents are named so."""
    mentions = date_mentions(question)
    if len(mentions) < 2:
        return []
    by_rank = sorted(candidates, key=lambda c: c.chunk_rank)
    named: list[str] = []
    for mention in mentions:
        source = next((c.chunk.source for c in by_rank if mention.names(c.chunk.date)), None)
        if source is not None and source not in named:
            named.append(source)
    return named if len(named) > 1 else []


# a date that names an order ("the February 5 amendment", "the March 25 election integrity order", "the order of
# March 6"), not a date the question asks about ("goods entered after March 7")
_ORDER_DATE = re.compile(r"\b(?:" + MONTHS + r")\s+\d{1,2}(?:,?\s+\d{4})?(?=\s+(?:[\w'’-]+\s+){0,5}?"
                         r"(?:order|amendment|proclamation|memorandum|extension)s?\b)"
                         r"|(?<=order of )(?:" + MONTHS + r")\s+\d{1,2}(?:,?\s+\d{4})?", re.I)


def dated_documents(question: str, candidates: Sequence[Candidate]) -> tuple[str, dict[str, str]]:
    """The one date by which a question names an order, as written, and the candidate documents of that date
    (source: title); none when it names no order by date, or several."""
    matches = list(_ORDER_DATE.finditer(question))
    mentions = [mention for match in matches for mention in date_mentions(match[0])]
    if len({(m.month, m.day, m.year) for m in mentions}) != 1:
        return "", {}
    return matches[0][0], {c.chunk.source: c.chunk.title for c in candidates if mentions[0].names(c.chunk.date)}


def section_titles(text: str) -> Callable[[int], str]:
    """A lookup of the title of the section that holds a position ("Prohibition of Central Bank Digital Currencies"
    after "Sec. 5."): "" where the section has none on its heading line or the line after, and for a position
    within the heading or the title itself."""
    headings = list(_SECTION_START.finditer(text))
    starts = [heading.start() for heading in headings]
    titles = [_section_title(text, heading) for heading in headings]

    def title_at(position: int) -> str:
        index = bisect.bisect_right(starts, position) - 1
        if index < 0:
            return ""
        title, title_end = titles[index]
        return title if position >= title_end else ""

    return title_at


def _section_title(text: str, heading: re.Match) -> tuple[str, int]:
    """The title after a section heading and where it ends; ("", end of the heading's line) when there is none."""
    line_end = text.find("\n", heading.end())
    line_end = len(text) if line_end < 0 else line_end
    rest = text[heading.end() : line_end].strip(" *#")
    if not rest:
        next_start = heading.end()
        while next_start < len(text) and text[next_start] in "\n \t":
            next_start += 1
        line_end = text.find("\n", next_start)
        line_end = len(text) if line_end < 0 else line_end
        rest = text[next_start:line_end].strip(" *#")
    title = rest.split(". ")[0].strip(" .*")
    words = [word for word in title.split() if word.lower() not in _SMALL_WORDS]
    # a title is a few capitalised words, not the section's first sentence
    if not words or len(words) > 12 or sum(word[0].isupper() or word[0].isdigit() for word in words) < 0.8 * len(words):
        return "", line_end
    return title, text.find(title, heading.end()) + len(title)


def section_item(text: str, section: int, item: str) -> tuple[int, int] | None:
    """Where item `(item)` of section `section` of an order stands: from its letter to the end of its line.

    Sections open with "Sec. 2." or "Section 2." at the start of a line (Markdown marks allowed); the item opens
    a line of that section with "(a)"."""
    starts = [(int(m[1]), m.start()) for m in _SECTION_START.finditer(text)]
    for index, (number, start) in enumerate(starts):
        if number != section:
            continue
        end = starts[index + 1][1] if index + 1 < len(starts) else len(text)
        match = re.compile(rf"^[ \t]*\({re.escape(item)}\)\s", re.M).search(text, start, end)
        if match is None:
            return None
        line_end = text.find("\n", match.start(), end)
        return strip_span(text, match.start(), end if line_end < 0 else line_end)
    return None


_WH = r"(?:(?:within|by|for|in|on|from|since|until|to|at|under|after|before)\s+)?(?:what|when|which|who|whom|how|why|where)\b"
_PART_BREAK = re.compile(
    r"[;?]\s+|,?\s+and\s+(?=" + _WH + r"|(?:whether|does|do|did|is|are|was|were|can)\b)|,\s+(?=" + _WH + ")",
    re.I,
)


def absent_instruments(question: str, chunks: Sequence[RetrievedChunk], chosen: Sequence[Candidate]) -> list[str]:
    """Orders and proclamations the question names by number that are not among the documents found (only cited
    by them: "Proclamation 10896" in a list of amended actions) and that no chosen sentence mentions. An answer
    about such an order would come from sentences about something else."""
    titles = {chunk.title for chunk in chunks}
    absent = []
    for kind, number in instrument_mentions(question):
        if (any(titles_instrument(title, kind, number) for title in titles)
                or any(re.search(rf"\b{number}\b", c.text) for c in chosen)):
            continue
        absent.append(f"{kind} {number}")
    return absent


def names_by_number(question: str, title: str) -> bool:
    """Whether the question names the document of this title by its number ("EO 14257" for "Executive Order 14257:
    Regulating Imports …")."""
    return any(titles_instrument(title, kind, number) for kind, number in instrument_mentions(question))


def identifiers(question: str) -> list[str]:
    """Numbers a user types to name a thing exactly (an order, a proclamation, a tariff heading): tokens that
    start with a digit and hold at least three digits, e.g. "14257", "9903.01.63"."""
    return [t for t in dict.fromkeys(tokenize(question)) if t[0].isdigit() and sum(ch.isdigit() for ch in t) >= 3]


_NAME = re.compile(r"(?<![\w-])[A-Z][a-z]+(?:['’]s)?(?![\w-])")


def proper_names(question: str) -> list[str]:
    """Runs of capitalised words of a question, its first word left out ("Greenland", "Panama Canal"): the
    things it is about. Acronyms and hyphenated words are left out: documents often spell those differently."""
    words = question.split()
    if sum(word[:1].isupper() for word in words) > len(words) / 2:
        return []  # a title-cased question: its capitals name nothing
    names: list[list[str]] = []
    end = -1
    for match in _NAME.finditer(question):
        if not question[: match.start()].strip():
            continue
        if names and question[end : match.start()] == " ":
            names[-1].append(match.group(0))
        else:
            names.append([match.group(0)])
        end = match.end()
    return list(dict.fromkeys(" ".join(words) for words in names))


def question_parts(question: str) -> list[str]:
    """The sub-questions of a question that asks several things ("Who must act, how quickly, and from when?")."""
    return [part.strip(" ,?") for part in _PART_BREAK.split(question) if part and part.strip(" ,?")]


_ASKS = re.compile(r"\b(what|when|which|who|whom|whose|how|why|where|whether)\b"
                   r"|^(does|do|did|is|are|was|were|can|give|list|name)\b", re.I)


def asking_parts(question: str) -> list[str]:
    """The parts of a question that each ask something, when there are two or more; "Under the order of April 8,
    what was the new rate …?" is one question with a qualifier, not two."""
    asking = _parts_that_ask(question_parts(question))
    return asking if len(asking) > 1 else []


def _parts_that_ask(parts: Sequence[str]) -> list[str]:
    return [part for part in parts if _ASKS.search(part)]


_DEFINED_ABBREVIATION = re.compile(r"\(\s*(?:the\s+)?[“\"']?([A-Z][A-Za-z]*[A-Z])(s?)[”\"']?\s*\)")
# a short name an order gives what it sets up or names: "the Secretary of Defense (Secretary)",
# "the Federal Emergency Management Agency Review Council (“Council”)"
_DEFINED_NAME = re.compile(r"\(\s*(?:the\s+)?[“\"]?([A-Z][a-z]+(?:\s+(?:[A-Z][a-z]+|\d+))*)[”\"]?\s*\)")
_SMALL_WORDS = {"of", "and", "the", "for", "on", "in", "to", "&"}
_NAME_WORDS = 12


def _long_name(text: str, end: int, short: str) -> str | None:
    """The long form that a short name in parentheses at `end` stands for: the run of capitalised words (and the
    small words between them) just before it, in the same sentence, from the last "the" before the short name's
    first word; it must hold every word of the short name ("Task Force" in "White House Task Force on …")."""
    segment = text[max(0, end - 200) : end]
    segment = segment[max(segment.rfind("\n"), segment.rfind(". ")) + 1 :]
    run: list[str] = []
    for word in reversed(re.findall(r"[\w’'&-]+", segment)):
        if len(run) >= _NAME_WORDS or not (word[0].isupper() or word[0].isdigit() or word.lower() in _SMALL_WORDS):
            break
        run.append(word)
    run.reverse()
    names = [word for word in short.split() if not word.isdigit()]
    if not names or any(word not in run for word in names):
        return None
    head = len(run) - 1 - run[::-1].index(names[0])
    start = max((i + 1 for i, word in enumerate(run[:head]) if word.lower() == "the"), default=0)
    run = run[start:]
    while run and run[0].lower() in _SMALL_WORDS:
        run.pop(0)
    return " ".join(run) if len(run) > len(short.split()) else None


def abbreviations(text: str) -> dict[str, str]:
    """Short forms a document defines, to their long forms.

    - abbreviations, keyed in lowercase: "Central Bank Digital Currencies (CBDCs)" gives {"cbdc": "Central Bank …"};
      the long form is accepted only when the initials of its words spell the abbreviation, so "(the Act)" or a
      parenthetical aside is not taken for a definition;
    - short names, keyed as written: "the Secretary of Defense (Secretary)" gives {"Secretary": "Secretary of
      Defense"}; the long form is the run of capitalised words before the parenthesis and must hold the short
      name's words, so an order's title after its number ("Executive Order 14192 of January 31, 2025
      (Unleashing Prosperity …)") is not taken for one.
    """
    found: dict[str, str] = {}
    for match in _DEFINED_ABBREVIATION.finditer(text):
        letters = [ch for ch in match.group(1) if ch.isupper()]
        words = re.findall(r"[\w’'&-]+", text[max(0, match.start() - 200) : match.start()])
        picked: list[str] = []
        capitals = 0
        for word in reversed(words):
            if capitals == len(letters):
                break
            if word.lower() in _SMALL_WORDS and picked:
                picked.append(word)
                continue
            if not word[0].isupper():
                break
            picked.append(word)
            capitals += 1
        initials = [w[0] for w in reversed(picked) if w.lower() not in _SMALL_WORDS]
        if initials == letters:
            found.setdefault(match.group(1).lower(), " ".join(reversed(picked)))
    for match in _DEFINED_NAME.finditer(text):
        short = " ".join(match.group(1).split())
        long_form = _long_name(text, match.start(), short)
        if long_form is not None:
            found.setdefault(short, long_form)
    return found


_ABBREVIATION_USE = re.compile(r"\b([A-Z][A-Za-z]*[A-Z])(s?)\b")


def spell_out(sentence: str, defined: dict[str, str]) -> str:
    """The sentence with the short forms its document defines spelled out, so a question that uses either form
    finds it: each abbreviation is followed, at its first use, by its long form ("CBDCs" -> "CBDCs (Central Bank
    Digital Currencies)"), a short name used as written ("the Council") by its long form, and a long form written
    out by its abbreviation ("Federal Emergency Management Agency" -> "… (FEMA)")."""
    if not defined:
        return sentence

    done: set[str] = set()

    def expand(match: re.Match) -> str:
        long_form = defined.get(match.group(1).lower())
        if long_form is None or long_form in done or long_form.lower() in sentence.lower():
            return match.group(0)
        done.add(long_form)
        return f"{match.group(0)} ({long_form})"

    spelled = _ABBREVIATION_USE.sub(expand, sentence)
    added: list[str] = []
    lowered = sentence.lower()
    for short, long_form in defined.items():
        if short[0].isupper():
            if long_form not in done and long_form.lower() not in lowered and re.search(
                    rf"(?<![\w-]){re.escape(short)}(?![\w-])", sentence):
                added.append(long_form)
                done.add(long_form)
        elif long_form.lower() in lowered and not re.search(rf"\b{re.escape(short)}s?\b", lowered):
            added.append(short.upper())
    return f"{spelled} ({'; '.join(added)})" if added else spelled


_ACRONYM = re.compile(r"(?<![\w-])[A-Z]{3,6}(?![\w-])")
_NAME_RUN = re.compile(r"[A-Z][\w’'-]*(?:\s+(?:(?:of|and|the|for|on|in|to|&)\s+)*[A-Z][\w’'-]*)+")


def initialisms(text: str) -> frozenset[str]:
    """The initials of each run of three to six capitalised words ("Federal Emergency Management Agency" gives
    "fema", "Harmonized Tariff Schedule of the United States" "htsus"), so a question that abbreviates a name the
    document writes out, without defining the abbreviation, still matches it."""
    found: set[str] = set()
    for run in _NAME_RUN.finditer(text):
        words = [w for w in run.group(0).split() if w.lower() not in _SMALL_WORDS]
        for i in range(len(words)):
            for j in range(i + 3, min(i + 6, len(words)) + 1):
                found.add("".join(w[0] for w in words[i:j]).lower())
    return frozenset(found)


def _redundant(candidate: Candidate, other: Candidate) -> bool:
    """True when two candidates overlap in the same document or say nearly the same thing."""
    if candidate.chunk.source == other.chunk.source and candidate.start < other.end and other.start < candidate.end:
        return True
    union = candidate.terms | other.terms
    return bool(union) and len(candidate.terms & other.terms) >= 0.7 * len(union)


def stem_prefix(word: str) -> str | None:
    """The stem a longer word is matched by, so that "Chinese" finds "China" and "Brazilian" "Brazil"; None for a
    word of fewer than six letters, which must match whole."""
    return word[: max(4, len(word) - 3)] if len(word) >= 6 else None


_ABOUT = re.compile(r"\b(?:say|says|said|state|states|stated|mention|mentions|mentioned)\s+(?:about|on|regarding|concerning)"
                    r"\s+(?P<topic>[^?!.;]+)", re.I)


class _Topic:
    """The topic of a "What does EO 14257 say about India?" question, found in a sentence that has each of its
    words; a word of six letters or more by its stem, so that "Brazilian ethanol" finds "Brazil … ethanol"."""

    def __init__(self, words: str) -> None:
        self.words = words
        self.terms = frozenset(tokenize(words))
        self._stems = [(stem_prefix(term) if term.isalpha() else None) or term for term in self.terms]

    def search(self, text: str) -> bool:
        tokens = set(tokenize(text))
        return all(stem in tokens or (stem not in self.terms and any(t.startswith(stem) for t in tokens))
                   for stem in self._stems)


def asked_topic(question: str) -> _Topic | None:
    """The topic a question asks a document about ("… say about India?"), when it is a few words."""
    match = _ABOUT.search(question)
    topic = _Topic(match["topic"].strip()) if match else None
    return topic if topic is not None and 0 < len(topic.terms) <= 4 else None


def kinds_asked(question: str) -> dict[str, re.Pattern | _Matches | _CountryName]:
    """The kinds of fact the question asks for, by name ("period", "official", …), with the pattern of each."""
    kinds = {name: entity for name, asked, entity in _ANSWER_TYPES if asked.search(question)}
    if "official" in kinds and asking_parts(question):
        # "Who must produce it, how quickly, and …": the official answers one part only, and is asked of it alone
        kinds.pop("official")
    if "list" in kinds:
        # "which agencies were on the list" asks for the list, not for any agency named
        kinds.pop("department", None)
    if "start" in kinds:
        # "when does it take effect" is answered by the sentence that says it is effective, not by any date
        kinds.pop("date", None)
    return kinds


def _wanted(question: str) -> list[re.Pattern | _Topic]:
    """Patterns of the kind of fact the question asks for (a period, a date, an amount, a count, a topic)."""
    topic = asked_topic(question)
    return list(kinds_asked(question).values()) + ([topic] if topic else [])


def _required(question: str) -> list[tuple[str, re.Pattern | _Topic]]:
    """The kinds of fact the question opens by asking for ("When …", "How long …", "What rate …"), or the topic
    it asks about: an answer without one of them does not answer it."""
    topic = asked_topic(question)
    if topic is not None:
        return [(topic.words, topic)]
    opening = question[_LEAD_IN.match(question).end() :]
    entities = {name: entity for name, _, entity in _ANSWER_TYPES}
    return [(name, entities[name]) for name, asked in _REQUIRED_OPENINGS.items() if asked.match(opening)][:1]


_TERMINAL = ".!?:;\"”’)"


def _is_heading(text: str, start: int, end: int) -> bool:
    """A heading or title line: every line bold or `#`, or one short whole line with no closing punctuation."""
    lines = [line.strip() for line in text[start:end].splitlines() if line.strip()]
    if lines and all(line.startswith("#") or (line.startswith("**") and line.endswith("**")) for line in lines):
        return True
    shown = display_text(text[start:end])
    whole_line = (start == 0 or text[start - 1] == "\n") and (end == len(text) or text[end] == "\n")
    return whole_line and len(shown.split()) <= 20 and not shown.endswith(tuple(_TERMINAL))


# a bold or `#` line, or a short title-case line with no closing punctuation before a line that starts a sentence
# ("Monitoring\nWithin 90 days …"; not "The United States\nwill …", a wrapped line)
_HEADING_LINE = re.compile(
    r"[ \t]*(\*\*[^*\n]+\*\*|#+[^\n]*)[ \t]*\n"
    r"|[ \t]*[A-Z][\w'’-]*([ \t]+([A-Z][\w'’-]*|of|and|the|to|for|on|in|with|a|an)){0,11}[ \t]*\n(?=[ \t]*[A-Z(])")


_ITEM_MARK = re.compile(r"\((?:[ivxl]+|[a-z]|\d+)\)\s")


def _sibling_items(text: str, opening: tuple[int, int], window: tuple[int, int]) -> bool:
    """True when a sentence's opening window is one item of a run of enumerated items and the window holds
    another: the opening is then a sibling item ("(iv) providing clarity …"), not the window's subject."""
    return bool(_ITEM_MARK.match(text, opening[0])) and _ITEM_MARK.search(text, window[0], window[1]) is not None


def _after_heading_lines(text: str, start: int, end: int) -> int:
    """Where a sentence starts once the heading lines glued to its front ("**Purpose**\n This order …") are left out."""
    while True:
        match = _HEADING_LINE.match(text, start, end)
        if match is None or not text[match.end() : end].strip():
            return start
        start = match.end()


def _list_intros(text: str, sentences: list[tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """For each list item, the sentence that introduces its list (the one ending with `:`)."""
    intros: dict[int, tuple[int, int]] = {}
    current: tuple[int, int] | None = None
    for index, (start, end) in enumerate(sentences):
        if current is not None and _is_child_item(text, current, (start, end)):
            intros[index] = current
            continue
        current = (start, end) if text[start:end].rstrip().endswith(":") else None
    return intros


def _is_child_item(text: str, intro: tuple[int, int], item: tuple[int, int]) -> bool:
    """True when `item` is an enumerated item under `intro`. Under an enumerated intro, items are indented
    deeper or numbered in another style ("(b) … the following:" then "(i)", "(ii)")."""
    item_match = _LIST_ITEM.match(text[item[0] : item[1]])
    if not item_match:
        return False
    intro_match = _LIST_ITEM.match(text[intro[0] : intro[1]])
    if not intro_match:
        return True
    if _indent(text, item[0]) > _indent(text, intro[0]):
        return True
    return _enumerator_style(item_match.group(1)) != _enumerator_style(intro_match.group(1))


_ROMAN = re.compile(r"^[ivx]+$")


def _enumerator_style(label: str) -> str:
    """"digit", "roman", "lower", "upper" or "bullet" for a list label like "(b)", "(iv)", "2.", "-".

    A lone "(i)", "(v)" or "(x)" reads as roman: after an introduction ending with ":" it starts a sub-list."""
    core = label.strip("().")
    if not core or not core.isalnum():
        return "bullet"
    if core.isdigit():
        return "digit"
    if _ROMAN.match(core):
        return "roman"
    return "lower" if core.islower() else "upper"


def _indent(text: str, start: int) -> int:
    line_start = text.rfind("\n", 0, start) + 1
    prefix = text[line_start:start]
    return len(prefix) if not prefix.strip() else -1


_LIST_ITEM = re.compile(r"^\s*(\(?[A-Za-z0-9]{1,5}\)|[-*•]|\d{1,2}\.)\s")


def _lists(text: str, sentences: list[tuple[int, int]]) -> list[tuple[int, int, tuple[int, int]]]:
    """Lists quoted whole: (start, end, introduction) for a sentence that ends with `:` joined with the items
    that follow it, and for the items alone (what a "which ..." question asks for), each within the word limit."""
    joined: list[tuple[int, int, tuple[int, int]]] = []
    for index, (start, end) in enumerate(sentences):
        if not text[start:end].rstrip().endswith(":"):
            continue
        items = []
        for item_start, item_end in sentences[index + 1 :]:
            if not _is_child_item(text, (start, end), (item_start, item_end)):
                break
            items.append((item_start, item_end))
        intro_words = len(text[start:end].split())
        with_intro = items_only = None
        words = 0
        for item_start, item_end in items:
            words += len(text[item_start:item_end].split())
            if intro_words + words <= MAX_ANSWER_WORDS:
                with_intro = item_end
            if words <= _LIST_WORDS:
                items_only = item_end
        if with_intro is not None:
            joined.append((start, with_intro, (start, end)))
        if items_only is not None and len(items) > 1:
            joined.append((items[0][0], items_only, (start, end)))
    return joined


# a sentence that opens by pointing back ("Such position", "These reports", "This review"); "This order" and "This
# section" point at the document itself
_ANAPHOR = re.compile(r"[ \t]*(?:\([a-z0-9]{1,4}\)\s*)?(?:Such|These|Those|This|That|It|They|Its|Their)\b(?!['’]s)"
                      r"(?!\s+(?:order|section|subsection|memorandum|proclamation|Act)\b)")


def _with_antecedents(text: str, sentences: list[tuple[int, int]], intros: dict[int, tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans that join a sentence opening with a pointer back ("Such position shall be …") to the sentence before it,
    within `_LONG_SENTENCE_WORDS` words; a list item is read with its list's introduction instead."""
    spans = []
    for index in range(1, len(sentences)):
        (before, before_end), (start, end) = sentences[index - 1], sentences[index]
        if index in intros or not _ANAPHOR.match(text, start) or _is_heading(text, before, before_end):
            continue
        if len(text[before:end].split()) <= _LONG_SENTENCE_WORDS:
            spans.append((before, end))
    return spans


def _answer_units(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Quotable units of a sentence: the sentence itself; for a long one, windows of it; for a long one that
    enumerates items ("…, including by: (i) …; and (v) taking measures …"), its opening window and each item."""
    if len(text[start:end].split()) <= _LONG_SENTENCE_WORDS:
        return [(start, end)]
    windows = _windows(text, start, end)
    items = _inline_items(text, start, end)
    if not items:
        return windows
    # the opening window holds the sentence's subject, unless the sentence opens with its first item
    return items if items[0][0] == windows[0][0] else [windows[0], *items]


# an item opens after a colon or a semicolon ("including by: (i) …; and (ii) …"), not where a section is cited
# ("subsection (a) of this section")
_INLINE_ITEM = re.compile(r"(?:[:;]|[:;,]\s+(?:and|or))\s+(" + _ITEM_LABEL + ")")


_TRAILING_CONNECTOR = re.compile(r"[;,]\s+(?:and|or)$")


def _inline_items(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """The enumerated items of a sentence, each whole when short enough, else in windows; none unless two or more."""
    marks = [match.start(1) for match in _INLINE_ITEM.finditer(text, start, end)]
    if marks and _ITEM_MARK.match(text, start):
        marks.insert(0, start)
    if len(marks) < 2:
        return []
    items: list[tuple[int, int]] = []
    for item_start, item_end in zip(marks, marks[1:] + [end]):
        item_start, item_end = strip_span(text, item_start, item_end)
        if (connector := _TRAILING_CONNECTOR.search(text, item_start, item_end)) is not None:
            item_end = connector.start() + 1
        if len(text[item_start:item_end].split()) <= _LONG_SENTENCE_WORDS:
            items.append((item_start, item_end))
        else:
            items.extend(_windows(text, item_start, item_end))
    return items


def _windows(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Windows of at most `_WINDOW_WORDS` words that start at the sentence start or after a `,` or `;`
    and end at the next such break that keeps them within the limit (else mid-clause). A comma inside
    parentheses or of "e.g.," is no break: a window would open with "China) pursuant to …"."""
    words = [(start + m.start(), start + m.end()) for m in re.finditer(r"\S+", text[start:end])]
    breaks = set()
    depth = 0
    for i, (s, e) in enumerate(words):
        depth = max(0, depth + text.count("(", s, e) - text.count(")", s, e))
        if text[e - 1] in ",;:" and depth == 0 and text[s:e].lower() not in ("e.g.,", "i.e.,"):
            breaks.add(i)
    windows: list[tuple[int, int]] = []
    starts = [0] + [i + 1 for i in sorted(breaks) if i + 1 < len(words)]
    for first in starts:
        limit = min(first + _WINDOW_WORDS, len(words)) - 1
        last = next((i for i in range(limit, first + int(0.6 * _WINDOW_WORDS), -1) if i in breaks), limit)
        if limit == len(words) - 1:
            last = limit
        s, e = words[first][0], words[last][1]
        if text[e - 1] in ",;:":
            e -= 1
        if not windows or windows[-1] != (s, e):
            windows.append((s, e))
        if limit == len(words) - 1:
            break
    return windows


def refusal(question: str, chunks: Sequence[RetrievedChunk], reason: str = "") -> Answer:
    """A refusal that names the closest documents instead of guessing."""
    titles: list[str] = []
    for chunk in chunks:
        label = f"{chunk.title} ({chunk.source})" if chunk.title and chunk.title != chunk.source else chunk.source
        if label not in titles:
            titles.append(label)
        if len(titles) == 3:
            break
    text = reason or "The documents do not answer this question."
    if titles:
        text += " The closest documents are: " + "; ".join(titles) + "."
    return Answer(question=question, answer=text, citations=[], refused=True, mode="extractive")
