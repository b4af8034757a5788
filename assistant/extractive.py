"""The extractive answer's pieces: the candidate sentences of the retrieved passages, and answers that quote them.

The trained reader (`assistant/reader.py`) chooses among the candidates; every claim of an answer is verbatim from a
source, so every citation's quote is exactly `text[start:end]`.
"""

from __future__ import annotations

import bisect
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable, Generic, Sequence, TypeVar

from assistant.answers import Answer, Citation
from ingest.dates import MONTH_DAY_YEAR
from ingest.text import split_sentences, strip_span
from vectorstore.hits import RetrievedChunk
from vectorstore.lexical import tokenize

MAX_ANSWER_WORDS = 60


_LONG_SENTENCE_WORDS = 55


_LIST_WORDS = 80


_MARKUP = re.compile(r"\*\*|^#+\s*|^[-*+]\s+", re.MULTILINE)


# the label of an enumerated item: "(iv) ", "(b) ", "(12) "
_ITEM_LABEL = r"\((?:[ivx]+|[a-z]|\d{1,2})\)\s"


# what the Federal Register prints around an order, never an answer: "[FR Doc. 2025-02011 Filed 1-29-25; 8:45 am]
# Billing code 3395-F4-P", "Trump.EPS THE WHITE HOUSE, January 20, 2025."
_PUBLICATION_LINE = re.compile(r"\bBilling code\b|\[FR Doc\.|\bFiled \d{1,2}-\d{1,2}-\d{2}\b|\.EPS\b|\bTHE WHITE HOUSE,")


_WINDOW_WORDS = 30


@dataclass(slots=True, eq=False)  # compared by identity: the same sentence can be two candidates
class Candidate:
    """A sentence (or a window or item of a long sentence, or a list) that could be quoted."""

    chunk: RetrievedChunk
    start: int
    end: int
    text: str
    chunk_rank: int
    terms: frozenset[str] = frozenset()
    context: frozenset[str] = frozenset()  # terms of its heading or list introduction that it lacks
    score: float = 0.0
    title_like: bool = False
    section: str = ""
    # what it needs before it to be read alone: its sentence's opening window, when it is a later window or an
    # enumerated item of a long sentence, or its list's introduction, when it is an item of a list
    lead: tuple[int, int] | None = None
    # where it could be extended to: the ends of its sentence's later windows and items, nearest first
    ends: tuple[int, ...] = ()

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
    section: str = ""
    lead: tuple[int, int] | None = None
    ends: tuple[int, ...] = ()


def display_text(quote: str) -> str:
    """A quote as it reads in an answer: Markdown markup and line breaks folded (the citation keeps the exact text)."""
    return " ".join(_MARKUP.sub("", quote).split())


class CandidateFinder:
    """Splits the retrieved passages into what an answer may quote (sentences, a long sentence's windows and
    enumerated items, lists with their introductions, a sentence with the one it points back to), each with the
    terms it holds; the reader scores them. Units are cached per chunk: related questions bring back the same
    passages."""

    def __init__(self, document_text: Callable[[str], str | None]) -> None:
        self.document_text = document_text
        self._abbreviations: _Lru[tuple[str, int], dict[str, str]] = _Lru(256)
        self._sections: _Lru[tuple[str, int], Callable[[int], str]] = _Lru(256)
        self._intros: _Lru[tuple[str, int], dict[int, tuple[int, int]]] = _Lru(256)
        self._units_cache: _Lru[tuple[str, int, int], list[_Unit]] = _Lru(4096)

    def candidates(self, chunks: Sequence[RetrievedChunk]) -> list[Candidate]:
        found: list[Candidate] = []
        seen: set[str] = set()
        for rank, chunk in enumerate(chunks):
            for unit in self._units(chunk):
                if unit.key in seen:
                    continue
                seen.add(unit.key)
                found.append(Candidate(chunk=chunk, start=unit.start, end=unit.end, text=unit.quote, chunk_rank=rank,
                                       terms=unit.terms, context=unit.context, title_like=unit.title_like,
                                       section=unit.section, lead=unit.lead, ends=unit.ends))
        return found

    def _units(self, chunk: RetrievedChunk) -> list[_Unit]:
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
        # an item at the chunk's start has its list's introduction in the chunk before: quoted as its lead, not read
        # as its context (the reader was trained on the chunk's own)
        document = (chunk.source, hash(text))
        in_document = self._intros.get_or_make(document, lambda: _list_intros_by_start(text))
        earlier_intro = {(start, end): in_document[start] for start, end in sentences if start in in_document}
        defined = self._abbreviations.get_or_make(document, lambda: abbreviations(text))
        section_at = self._sections.get_or_make(document, lambda: section_titles(text))
        spans = [(start, end, intros.get(index)) for index, (start, end) in enumerate(sentences)]
        # "Such position shall be …" says what of only with the sentence before it, so the two are also offered together
        spans += [(before, end, None) for before, end in _with_antecedents(text, sentences, intros)]
        for start, end, intro in spans + _lists(text, sentences):
            if _is_heading(text, start, end):
                continue
            intro_to_quote = intro or earlier_intro.get((start, end))
            context = heading_terms | (set(tokenize(text[intro[0]:intro[1]])) if intro else set())
            whole_list = intro is not None and end > intro[1] and text[start:end].count("\n") > 0
            start = _after_heading_lines(text, start, end)
            end = _before_signature(text, start, end)
            pieces = [strip_span(text, s, e) for s, e in
                      ([(start, end)] if whole_list else _answer_units(text, start, end))]
            opening = pieces[0] if len(pieces) > 1 else None
            # a window may run on to where a later window ends, or to its sentence's end, which no window reaches
            # when the sentence runs on for 30 words without a comma
            ends = sorted({b for _, b in pieces} | {strip_span(text, start, end)[1]})
            for s, e in pieces:
                quote = text[s:e]
                shown = display_text(quote)
                if len(shown.split()) < 4 or _PUBLICATION_LINE.search(shown):
                    continue
                # the terms count an abbreviation's long form too
                terms = frozenset(tokenize(spell_out(shown, defined)))
                if opening and opening[0] < s and not _sibling_items(text, opening, (s, e)):
                    lead = opening
                else:
                    lead = intro_to_quote if intro_to_quote is not None and intro_to_quote[1] <= s else None
                units.append(_Unit(s, e, quote, shown.lower(), terms, frozenset(context - terms),
                                   len(terms & title_terms) >= 0.8 * max(len(terms), 1), section_at(s), lead,
                                   tuple(b for b in ends if b > e)))
        return units


def _opens_mid_sentence(candidate: Candidate, start: int, shown: str, quoted: Sequence[tuple[str, int, int]]) -> bool:
    """Whether a quote starts inside a sentence or list whose opening the answer does not quote before it (a later
    window of a long sentence, an item without its list's introduction, a clause cut from its sentence)."""
    if shown[:1].islower():
        return True
    lead = candidate.lead
    return bool(lead and lead[0] < start and not any(
        source == candidate.chunk.source and a <= lead[0] < b for source, a, b in quoted))


def quoted_answer(question: str, quotes: Sequence[tuple[Candidate, int, int, str]]) -> Answer:
    """The answer that quotes each span, marked [1], [2], …, with one citation per marker; a quote that opens inside
    a sentence is shown after "…", as one cut short is followed by it."""
    citations, parts = [], []
    quoted: list[tuple[str, int, int]] = []
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
        if _opens_mid_sentence(candidate, start, shown, quoted):
            shown = "… " + shown
        quoted.append((chunk.source, start, end))
        parts.append(f"{shown} [{n}]")
    return Answer(question=question, answer=" ".join(parts), citations=citations, refused=False, mode="extractive")


_SECTION_START = re.compile(r"^[#*\s]*(?:Sec\.|Section)\s*(\d+)\.", re.M | re.I)


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


_TERMINAL = ".!?:;\"”’)"


def _is_heading(text: str, start: int, end: int) -> bool:
    """A heading or title line: every line bold or `#`, or one short whole line with no closing punctuation whose
    words are capitalised as a title's are; a sentence that lost its period ("The Director … shall take such actions
    as may be necessary to implement this order", as older orders are printed) is no heading."""
    lines = [line.strip() for line in text[start:end].splitlines() if line.strip()]
    if lines and all(line.startswith("#") or (line.startswith("**") and line.endswith("**")) for line in lines):
        return True
    shown = display_text(text[start:end])
    whole_line = (start == 0 or text[start - 1] == "\n") and (end == len(text) or text[end] == "\n")
    lowercase = [w for w in shown.split() if w[:1].islower() and w not in _SMALL_WORDS]
    return whole_line and len(shown.split()) <= 20 and not shown.endswith(tuple(_TERMINAL)) and len(lowercase) < 3


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


def _before_signature(text: str, start: int, end: int) -> int:
    """Where a sentence ends once the signature and publication lines glued to its end are left out: an older
    order's last sentence often lacks its period ("This order shall be effective September 30, 2005\nB\nTHE WHITE
    HOUSE,\nSeptember 29, 2005.\n[FR Doc. …]"), and would otherwise be dropped with them."""
    match = _PUBLICATION_LINE.search(text, start, end)
    if match is None:
        return end
    cut = text.rfind("\n", start, match.start())
    while cut > start:
        previous = text.rfind("\n", start, cut)
        line = text[previous + 1:cut]
        if previous < start or (len(line.split()) > 2 and not line.isupper()):
            break
        cut = previous
    return cut if cut > start else end


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


def _list_intros_by_start(text: str) -> dict[int, tuple[int, int]]:
    """For each list item of a whole document, keyed by where it starts, the sentence that introduces its list."""
    sentences = split_sentences(text, 0, len(text))
    return {sentences[index][0]: intro for index, intro in _list_intros(text, sentences).items()}


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
    parentheses or of "e.g.," is no break: a window would open with "China) pursuant to …", and neither is the comma
    of a date ("June 30, 1954"), which a window would cut from its year."""
    words = [(start + m.start(), start + m.end()) for m in re.finditer(r"\S+", text[start:end])]
    in_dates = {m.start() + m[0].find(",") for m in MONTH_DAY_YEAR.finditer(text, start, end) if "," in m[0]}
    breaks = set()
    depth = 0
    for i, (s, e) in enumerate(words):
        depth = max(0, depth + text.count("(", s, e) - text.count(")", s, e))
        if (text[e - 1] in ",;:" and depth == 0 and text[s:e].lower() not in ("e.g.,", "i.e.,")
                and e - 1 not in in_dates):
            breaks.add(i)
    windows: list[tuple[int, int]] = []
    starts = [0] + [i + 1 for i in sorted(breaks) if i + 1 < len(words)]
    for first in starts:
        limit = min(first + _WINDOW_WORDS, len(words)) - 1
        last = next((i for i in range(limit, first + int(0.6 * _WINDOW_WORDS), -1) if i in breaks), limit)
        if limit == len(words) - 1:
            last = limit
        elif words[last][1] - 1 in in_dates:
            last += 1
        s, e = words[first][0], words[last][1]
        if text[e - 1] in ",;:":
            e -= 1
        if not windows or windows[-1] != (s, e):
            windows.append((s, e))
        if limit == len(words) - 1:
            break
    return windows


CLOSEST_DOCUMENTS = " The closest documents are: "


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
        text += CLOSEST_DOCUMENTS + "; ".join(titles) + "."
    return Answer(question=question, answer=text, citations=[], refused=True, mode="extractive")
