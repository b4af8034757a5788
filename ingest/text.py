"""Offset-preserving text segmentation: blocks (paragraphs, headings, list items) and sentences.

Every function returns `(start, end)` character spans into the text it was given, so callers
can always quote `text[start:end]` verbatim.
"""

from __future__ import annotations

import re

Span = tuple[int, int]

_ABBREVIATIONS = {
    "u.s", "u.s.c", "sec", "secs", "no", "nos", "mr", "mrs", "ms", "dr", "e.g", "i.e", "etc", "inc", "ltd",
    "co", "corp", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "a.m", "p.m", "st", "vs", "v", "art", "pub", "l", "stat", "fed", "reg", "cf", "seq", "et", "al", "jr",
    "sr", "gen", "gov", "rep", "sen", "dept", "approx", "para", "paras", "ch", "pt", "fig", "op", "cit",
    "ibid", "id", "u.k", "u.n", "e.u", "d.c", "p.l", "c.f.r", "cfr", "fr", "hon", "prof", "messrs", "ave",
}

_BLOCK_BREAK = re.compile(r"\n[ \t]*\n\s*")
_LINE_BLOCK = re.compile(r"^(?:#{1,6}\s|[-*+]\s|\d{1,3}[.)]\s|\*\*[^*\n]{1,60}:\*\*|---+\s*$)")
_SENTENCE_END = re.compile(
    r"[.!?][\"'”’)\]]*(?=\s+[\"'“‘(\[]?[A-Z0-9§])"
    r"|[.!?;:][\"'”’)\]]*(?=[ \t]*\n\s*\(?(?:[a-z]{1,2}|[0-9]{1,3}|[ivxl]{1,6})[.)]\s)"
    r"|[.!?][\"'”’)\]]*$"
)
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_SECTION_START = re.compile(r"^(?:\*\*)?((?:Sec(?:tion)?\.?|SECTION|SEC\.)\s+\d+[A-Za-z]?\.)")


def strip_span(text: str, start: int, end: int) -> Span:
    """Shrink a span so it neither starts nor ends with white space."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_blocks(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Paragraphs separated by blank lines; Markdown headings, list items and `**Label:**` lines stand alone."""
    end = len(text) if end is None else end
    spans: list[Span] = []
    cursor = start
    for match in _BLOCK_BREAK.finditer(text, start, end):
        spans.extend(_split_line_blocks(text, cursor, match.start()))
        cursor = match.end()
    spans.extend(_split_line_blocks(text, cursor, end))
    return [span for span in spans if span[1] > span[0]]


def _split_line_blocks(text: str, start: int, end: int) -> list[Span]:
    spans: list[Span] = []
    block_start = start
    line_start = start
    while line_start < end:
        newline = text.find("\n", line_start, end)
        line_end = end if newline == -1 else newline
        line = text[line_start:line_end]
        if line_start > block_start and _LINE_BLOCK.match(line):
            spans.append(strip_span(text, block_start, line_start))
            block_start = line_start
        if _HEADING.match(line) and line_end < end:
            spans.append(strip_span(text, block_start, line_end))
            block_start = line_end + 1
        line_start = line_end + 1
    spans.append(strip_span(text, block_start, end))
    return spans


def heading_of(block: str) -> tuple[int, str] | None:
    """(level, heading text) when a block is a heading: Markdown `#` lines, or `Sec. 3.` / `Section 3.` openings (level 3).
    A `#` line that carries its section's text names the section by its label alone."""
    match = _HEADING.match(block)
    if match and "\n" not in block:
        name = match.group(2).strip("* ").strip()
        if heading_text_start(block) is not None:
            return len(match.group(1)), _SECTION_START.match(name).group(1)
        return len(match.group(1)), name
    section = _SECTION_START.match(block)
    if section:
        return 3, section.group(1)
    return None


def heading_text_start(block: str) -> int | None:
    """Where the section text starts on a Markdown heading line that carries it after the section's label, as older
    orders are printed ("### Section 7. Executive Order No 12008 of August 25, 1977 is revoked."): the offset of the
    label, so that the text is kept with it. None for a heading that is only a heading ("### Section 7.",
    "### Section 5. — Claims by or against the United States")."""
    match = _HEADING.match(block)
    if not match or "\n" in block:
        return None
    label = _SECTION_START.match(match.group(2))
    if not label:
        return None
    rest = match.group(2)[label.end():].strip()
    if not rest or rest[0] in "—–-" or not any(ch.isalnum() for ch in rest):
        return None
    return match.start(2)


def _is_abbreviation(text: str, dot: int) -> bool:
    word_start = dot
    while word_start > 0 and (text[word_start - 1].isalnum() or text[word_start - 1] == "."):
        word_start -= 1
    word = text[word_start:dot].lower().strip(".")
    if not word:
        return False
    if len(word) == 1 and word.isalpha():
        return True
    return word in _ABBREVIATIONS


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Sentences of `text[start:end]`, blocks first, then sentence ends that are not abbreviations."""
    end = len(text) if end is None else end
    sentences: list[Span] = []
    for block_start, block_end in split_blocks(text, start, end):
        cursor = block_start
        for match in _SENTENCE_END.finditer(text, block_start, block_end):
            if text[match.start()] == "." and _is_abbreviation(text, match.start()):
                continue
            span = strip_span(text, cursor, match.end())
            if span[1] > span[0]:
                sentences.append(span)
            cursor = match.end()
        span = strip_span(text, cursor, block_end)
        if span[1] > span[0]:
            sentences.append(span)
    return _join_broken_sentences(text, sentences)


# a middle initial ("Lyndon B."), a citation abbreviation ("86 Fed." / "Reg." / "Pub."), or a period left alone on
# its line ("Reg\n.")
_BROKEN_END = re.compile(r"(\b[A-Z][a-z]+\s+[A-Z]|\b(Fed|Reg|Stat|Pub|No|Sec|U\.S\.C|C\.F\.R)|\s)\.$")


_US_END = re.compile(r"\bU\.S\.$")
_FRAGMENT_WORDS = 8


def _join_broken_sentences(text: str, sentences: list[Span]) -> list[Span]:
    """Rejoin sentences that a paragraph break cut inside a name or a citation ("President Lyndon B.\n\nJohnson
    more than …", "86 Fed.\n\nReg\n. 71797", "through the U.S.\n\nRefugee Admissions Program (USRAP)."), as
    documents converted from the Federal Register often have. After "U.S." only a short capitalised fragment is
    joined: "U.S." also ends sentences."""
    joined: list[Span] = []
    for span in sentences:
        if joined and (_BROKEN_END.search(text, joined[-1][0], joined[-1][1])
                       or (_US_END.search(text, joined[-1][0], joined[-1][1]) and text[span[0]].isupper()
                           and len(text[span[0]:span[1]].split()) <= _FRAGMENT_WORDS)):
            joined[-1] = (joined[-1][0], span[1])
        else:
            joined.append(span)
    return joined


_CLAUSE_BREAK = re.compile(r";\s+(?:and\s+|or\s+)?(?=\(?[a-z0-9ivx]{1,4}\)\s)|;\s+|:\s+(?=\([a-z0-9ivx]{1,4}\)\s)")


def split_clauses(text: str, start: int, end: int) -> list[Span]:
    """Split one long sentence at `;` and before enumerations like `(a)`, keeping offsets."""
    spans: list[Span] = []
    cursor = start
    for match in _CLAUSE_BREAK.finditer(text, start, end):
        span = strip_span(text, cursor, match.start() + 1)
        if span[1] > span[0]:
            spans.append(span)
        cursor = match.end()
    span = strip_span(text, cursor, end)
    if span[1] > span[0]:
        spans.append(span)
    return spans


def split_words(text: str, start: int, end: int, max_words: int) -> list[Span]:
    """Windows of at most `max_words` whitespace-separated words (the last resort for huge sentences)."""
    words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text[start:end])]
    spans: list[Span] = []
    for index in range(0, len(words), max_words):
        window = words[index : index + max_words]
        spans.append((start + window[0][0], start + window[-1][1]))
    return spans
