"""What a document does to other documents, in its own words: the orders it amends, revokes, supersedes, ...

Found at ingest from the sentence that performs the change ("Executive Order 13985 ... is hereby revoked",
"Section 2 of Executive Order No. 11861, as amended, ... is further amended by adding ..."), not from every
mention: an order cited as background or authority ("as established by Executive Order 12333", "as amended by
...", "pursuant to ...") is not acted on. Each relation keeps the span of the sentence that says so, so it is
cited like any other passage.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Callable

from ingest.dates import parse_date
from ingest.records import Document
from ingest.text import split_sentences

RELATIONS_VERSION = "8"  # bump when extraction changes: stores find their relations again on the next ingest
RELATIONS = ("amends", "revokes", "supersedes", "suspends", "extends", "implements", "continues", "modifies")
# how a later document's change reads in an answer: "Revoked by Executive Order 14151 of January 20, 2025"
PAST_TENSE = {"amends": "Amended", "revokes": "Revoked", "supersedes": "Superseded", "suspends": "Suspended",
              "extends": "Extended", "implements": "Implemented", "continues": "Continued", "modifies": "Modified"}

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_DATE = rf"(?:{_MONTHS})\s+\d{{1,2}},\s+\d{{4}}"
_KINDS = {"executive order": "executive_order", "executive orders": "executive_order", "e.o.": "executive_order",
          "proclamation": "proclamation", "proclamations": "proclamation"}
# "Nos. 10590 (January 18, 1955), 10722 of August 5, 1957 (22 F.R. 8135), and 10925": each number with its date or
# citation (parentheses are blanked by then); "No. 980a" is not order 980
_ITEM_TAIL = rf"(?:,?\s+(?:of|dated)\s+{_DATE})?(?:\s*\(\s*\))?(?:,\s+as\s+amended(?=,))?"
_NUMBER_LIST = (rf"\d{{3,5}}(?!\d)(?-i:(?![a-z])){_ITEM_TAIL}(?:(?:\s*,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+)(?:Nos?\.?\s*)?\d{{3,5}}(?![\d.])(?-i:(?![a-z]))"
                rf"{_ITEM_TAIL})*")
_NUMBER_DATE = re.compile(rf"(\d{{3,5}})(?:,?\s+(?:of|dated)\s+({_DATE}))?")
_NUMBERED = re.compile(
    rf"\b(?P<kind>Executive\s+Orders?|E\.\s?O\.|Proclamations?)\s+(?:(?:Nos?\.?|Numbers?)\s*)?"
    rf"(?P<numbers>{_NUMBER_LIST})(?![\d,]*\s*(?:U\.\s?S\.\s?C|F\.?R\b|Stat\b|CFR\b))"
    rf"(?:,?\s+(?:of|dated|issued)\s+(?P<date>{_DATE}))?",
    re.I,
)
_DATED = re.compile(
    rf"\b(?P<kind>Executive\s+Order|Proclamation|(?:Presidential\s+)?[Mm]emorandum)\s+(?:dated|of|issued\s+on|signed\s+on)"
    rf"\s+(?P<date>{_DATE})",
)
_DATED_TITLED = re.compile(rf"\bExecutive\s+Order\s+(?:dated|of)\s+(?P<date>{_DATE})(?:,?\s+\(|,?\s+titled\s+[“\"])(?P<title>[^()”\"]{{8,200}})")
# a mention that only cites: what comes right before a target that this document does not act on
_CITING = re.compile(
    r"(?:\bas\s+(?:amended|modified|extended|continued|supplemented|revised|superseded|implemented)"
    r"(?:\s*,\s*(?:and\s+)?(?:amended|modified|extended|continued|supplemented|revised))*(?:\s+(?:by|in|through))?"
    r"|\bpursuant\s+to|\bunder|\bin\s+accordance\s+with|\bconsistent\s+with|\bestablished\s+(?:by|in|under|pursuant\s+to)"
    r"|\bcreated\s+(?:by|under)|\bdescribed\s+in|\bset\s+forth\s+in|\bspecified\s+in|\breferred\s+to\s+in|\bprovided\s+(?:for\s+)?in"
    r"|\bdeclared\s+(?:in|by)|\bproclaimed\s+(?:in|by)|\bon\s+the\s+subject\s+of|\bexclusive\s+of|\bexcept(?:\s+for)?"
    r"|\b(?:steps|actions?|measures)\s+taken\s+(?:in|under|by)|\bamendments?\s+(?:it|that\s+order)\s+made\s+to"
    r"|\bissued\s+(?:under|pursuant\s+to)|\bdefined\s+in|\bidentified\s+in|\blisted\s+in|\bimposed\s+(?:by|in|under)"
    r"|\bdesignated\s+(?:by|in|under)|\bauthority\s+of|\bin\s+response\s+to|\baddressed\s+(?:with\s+additional\s+measures\s+)?in|\bwhich\s+(?:amended|modified|revoked|superseded)"
    r"|\b(?:amended|modified|revoked|rescinded|superseded|suspended|extended|expanded|continued|replaced|affected|described)"
    r",?(?:\s+(?:for|in|until|through|as)?\s*[\w-]+){0,3}?\s+by|\bsee|\bdescribed\s+in"
    r"|\b(?:amending|modifying|revoking|rescinding|superseding|suspending|extending|continuing|implementing)(?:\s+and\s+\w+ing)?)"
    r"(?:\s+(?:the\s+)?(?:sections?|secs?\.|subsections?|paragraphs?|parts?|annex(?:es)?)\s+[\w().,\s]{1,40}?\s+of)?(?:\s+the)?\s*$",
    re.I,
)
# "In Executive Order 14257 of April 2, 2025, I declared ...": the opening of a sentence that recalls an order
_RECALLING = re.compile(r"(?:^|[.;:]\s+|\(\w{1,4}\)\s+|\n\s*)(?:In|Through|By|With)\s+(?:the\s+)?$")
_BE = r"(?:is|are|be|been\s+and\s+(?:is|are))\s+(?:(?:hereby|also|likewise|each)\s+)*(?:further\s+)?"
_ACTIVE = r"\b(?:this\s+order|hereby)\s+(?:hereby\s+)?"  # "This order revokes Executive Order No. 10025 ..."
# "increase the ad valorem rate of duty set forth in section 2(c)(i) of Executive Order 14256": the order is modified
_RATE_CHANGE = (r"\b(?:increase|decrease|raise|reduce|lower|modify|change)[sd]?\s+the\s+(?:[\w-]+\s+){0,3}?(?:rates?|amounts?)\s+"
                r"(?:of\s+duty\s+)?(?:set\s+forth|provided|specified|imposed)\s+(?:in|by)\s+(?:(?:the\s+)?(?:sections?|subsections?)\s+[\w().]+\s+of\s+)?")
# "hereby expand the scope of the national emergency declared in Executive Order 13873": the order is extended
_EXPAND_SCOPE = r"\bexpand(?:s|ing)?\s+the\s+scope\s+of\s+the\s+national\s+emergency"
_VERBS: dict[str, re.Pattern[str]] = {
    "revokes": re.compile(rf"\b{_BE}(?:revoked|rescinded|terminated)\b|{_ACTIVE}(?:revokes|rescinds)\b|\bhereby\s+(?:revoke|rescind)\b|\b(?:revocations?|rescissions?)\s+of\b"
                          r"|\bshall\s+(?:be\s+)?(?:revoked|rescinded)\b", re.I),
    "supersedes": re.compile(rf"\bsupersedes\b|\b(?:revoked|rescinded)\s+and\s+superseded\b|\b{_BE}superseded\b|\bshall\s+(?:be\s+)?supersede[d]?\b|\bhereby\s+supersede\b", re.I),
    "amends": re.compile(rf"\b{_BE}(?:amended|revised)\b|\bas\s+amended\s+by\s+this\s+order\b|{_ACTIVE}amends\b|\bhereby\s+(?:further\s+)?amend\b|\bamendments?\s+(?:to|of)\s+(?=(?:section|sec\.|executive|proclamation))"
                         r"|\bshall\s+be\s+(?:further\s+)?amended\b"
                         # "amendments to the Manual for Courts-Martial ... prescribed by Executive Order 12473"
                         r"|\bamendments?\s+(?:to|of)\s+the\s+[^.;:]{0,120}?\bprescribed\s+by\s+(?=Executive\s+Orders?|E\.\s?O\.)", re.I),
    "modifies": re.compile(rf"\b{_BE}modified\b|{_ACTIVE}modifies\b|\bhereby\s+(?:further\s+)?modify\b|\bmodifications?\s+(?:to|of)\s+(?=(?:section|sec\.|executive|proclamation))"
                           r"|\bshall\s+be\s+(?:further\s+)?modified\b|\bshall\s+not\s+(?:apply|be\s+applicable)\b"
                           r"|\bI\s+am\s+ordering\s+modification\b|\bby\s+modifying\s+the\s+(?:HTSUS|Harmonized\s+Tariff\s+Schedule)\b"
                           r"|\bas\s+modified\s+by\s+this\s+order\b"
                           r"|\bremoved\s+from\s+the\s+applicability\s+of\s+(?=Executive|Proclamation)|" + _RATE_CHANGE + r"(?=Executive|Proclamation)", re.I),
    "suspends": re.compile(rf"\b{_BE}suspended\b|{_ACTIVE}suspends\b|\bhereby\s+suspend\b|\bsuspension\s+of\b|\bshall\s+be\s+suspended\b", re.I),
    "extends": re.compile(rf"\b{_BE}extended\b|{_EXPAND_SCOPE}\b|{_ACTIVE}extends\b|\bhereby\s+(?:further\s+)?extend\b|\bshall\s+be\s+(?:further\s+)?extended\b", re.I),
    "continues": re.compile(rf"\b{_BE}continued\b|\b(?:shall\s+(?:continue|remain)|(?<!section\s)(?<!order\s)(?:remains?|continues?))\s+in\s+(?:full\s+)?(?:force|effect)\b|\bhereby\s+continue\b", re.I),
    "implements": re.compile(r"\b(?:to|hereby|order\s+to)\s+(?:implement|carry\s+out)\s+(?:the\s+provisions\s+of\s+|sections?\s+\S+\s+of\s+)?"
                             r"(?=Executive\s+Order|Proclamation)", re.I),
}
_QUOTED = re.compile(r"“[^”]*”|\"[^\"\n]*\"")
_EFFECTIVE = re.compile(rf"\b(?:effective|take[s]?\s+effect)\b(?:a\.m\.|p\.m\.|[^.;]){{0,240}}?(?<!of )(?<!dated )\b(?P<date>{_DATE})", re.I)
_OWN_NUMBER = re.compile(r"^\s*#*\s*(Executive Order|Proclamation)\s+(?:No\.\s*)?(\d{3,5})\b", re.I)
_QUOTE_CHARS = 320  # a longer sentence is quoted around the target it names
# ... and on to the end of the clause it cuts ("... from 90 percent to 120" reads "... to 120 percent;") when that
# is this close
_CLAUSE_RUN_CHARS = 80
_CLAUSE_END = re.compile(r";|\.(?=\s+[A-Z(“\"]|\s*$)|\n")


@dataclass(frozen=True, slots=True)
class Relation:
    """One change a document makes to another: `source` (the acting document) `relation` the target, said by
    `source.text[start:end]`. The target is kept as the text names it, resolved to an ingested document on use."""

    source: str
    relation: str
    target_kind: str  # executive_order | proclamation | memorandum
    target_number: str | None
    target_date: str | None  # ISO date of the target, when the text gives it
    target_label: str
    start: int
    end: int
    effective: str | None = None  # ISO date the change takes effect, when the text says


def own_identifier(title: str) -> tuple[str, str] | None:
    """("executive_order", "14257") for a document titled "Executive Order 14257: ..."."""
    match = _OWN_NUMBER.match(title or "")
    if not match:
        return None
    return _KINDS[match.group(1).lower()], match.group(2)


@dataclass(frozen=True, slots=True)
class _Target:
    kind: str
    number: str | None
    date: str | None
    label: str
    start: int
    end: int


def _targets(text: str, start: int, end: int, masked: str, own: tuple[str, str] | None,
             titles: dict[str | None, str]) -> list[_Target]:
    """Documents a sentence names that it may act on (not citations, not words inside quotation marks)."""
    found: list[_Target] = []
    taken: list[tuple[int, int]] = []
    citing_until = -1  # a list of orders after "as amended by" cites them all
    for match in _NUMBERED.finditer(masked, start, end):
        kind = _KINDS.get(re.sub(r"\s+", " ", match.group("kind").lower()), "executive_order")
        if _cites(masked, start, match.start(), match.end()) or (
                citing_until >= 0 and _LIST_JOIN.fullmatch(masked, citing_until, match.start())):
            citing_until = match.end()
            continue
        citing_until = -1
        taken.append(match.span())
        numbers = _NUMBER_DATE.findall(match.group("numbers"))
        for number, dated in numbers:
            if own == (kind, number):
                continue
            date = parse_date(dated) if dated else parse_date(match.group("date")) if match.group("date") and len(numbers) == 1 else None
            label = f"{'Proclamation' if kind == 'proclamation' else 'Executive Order'} {number}"
            found.append(_Target(kind, number, date, label, match.start(), match.end()))
    for match in _DATED.finditer(masked, start, end):
        if any(a <= match.start() < b for a, b in taken) or _cites(masked, start, match.start(), match.end()):
            continue
        word = match.group("kind").lower()
        kind = "memorandum" if "memorandum" in word else _KINDS.get(word, "executive_order")
        date = parse_date(match.group("date"))
        title = titles.get(date)
        label = f"{match.group('kind')} of {match.group('date')}" + (f" ({title})" if title else "")
        found.append(_Target(kind, None, date, label, match.start(), match.end()))
    return found


_LIST_JOIN = re.compile(r"[\s,;]*(?:\(\s*\)|\w?\([\s\w.]*\))?[\s,;]*(?:and|or)?[\s,;]*")


# the order whose national emergency is widened (extended), or whose rate is changed (modified), is acted on, not cited
_EXPANDS = re.compile(_EXPAND_SCOPE + r"\s+declared\s+in\s+$", re.I)
_CHANGES_WHAT_IT_SETS = re.compile(_RATE_CHANGE + "$", re.I)


# "Pursuant to section 4(b) of Executive Order 14257, I am ordering modification of the HTSUS ...": the order that
# reserved the power to modify its duties is modified under it; "Executive Order 14257, as modified by this order"
_ACTING_UNDER = re.compile(r"\s*,\s+I\s+(?:am\s+ordering|have\s+determined|hereby)\b[^.;]{0,200}?\bmodif(?:y|ying|ication)\b", re.I)
_CHANGED_HERE = re.compile(r"\s*,?\s+as\s+(?:modified|amended)\s+by\s+this\s+order\b", re.I)


def _cites(masked: str, sentence_start: int, at: int, end: int) -> bool:
    """Whether the words before a named order (found at masked[at:end]) make it a citation, not the order acted on."""
    before = max(sentence_start, at - 120)
    if _EXPANDS.search(masked, before, at) or _CHANGES_WHAT_IT_SETS.search(masked, before, at):
        return False
    if _CHANGED_HERE.match(masked, end) or (_ACTING_UNDER.match(masked, end) and re.search(
            r"\bpursuant\s+to\s+(?:sub)?section\s+[\w().]+\s+of\s+$", masked[before:at], re.I)):
        return False
    return bool(_CITING.search(masked, before, at) or _RECALLING.search(masked[sentence_start:at]))


_PARENTHETICAL = re.compile(r"\((?=[^()]{5,})[^()]*\)")


def _mask(text: str) -> str:
    """The text with quoted passages (the words an amendment inserts) and parentheticals (the titles of orders,
    "(Further Amendments to Executive Order 11478 ...)") blanked, offsets kept."""
    blank = lambda m: m.group(0)[0] + " " * (len(m.group(0)) - 2) + m.group(0)[-1]
    return _PARENTHETICAL.sub(blank, _QUOTED.sub(blank, text))


def _quote_span(text: str, start: int, end: int, target: _Target, verb: tuple[int, int]) -> tuple[int, int]:
    if end - start <= _QUOTE_CHARS:
        return start, end
    first = min(target.start, verb[0])
    left = max(start, first - 60)
    right = min(end, max(target.end, verb[1]) + 80)
    while left > start and not text[left - 1].isspace():
        left -= 1
    clause = re.search(r"[,;:]\s+", text[left:first]) if left > start else None
    if clause:  # open at a clause, not on "2025, enforcement of ..."
        left += clause.end()
    if right < end and text[right - 1] not in ";.\n":
        clause_end = _CLAUSE_END.search(text, right, min(end, right + _CLAUSE_RUN_CHARS))
        if clause_end:
            return left, clause_end.end() if clause_end.group() != "\n" else clause_end.start()
    while right < end and not text[right].isspace():
        right += 1
    return left, right


_LIST_ITEM = re.compile(r"\(\w{1,4}\)\s")
_BULLET = re.compile(r"[-*•]\s|\d{1,3}[.)]\s")
_SECTION = re.compile(r"[#*\s]*(?:Sec\.|Section|SECTION|SEC\.)\s*\d+", re.I)
_LIST_GAP = 2  # sentences without an order that a list of orders may hold before it is over
_CLUSTER_CHARS = 40
_VERB_BEFORE_CHARS = 100  # "I hereby revoke Executive Order ...": a verb before the orders it acts on stands close to them  # "is hereby revoked and superseded": verbs this close act on the same target


# "Revocation of Executive Order 13507", "amendments to Executive Order 12824": a noun acts on what follows it only
# (a title line "Amendments to Executive Orders 12824 and 12835, and Revocation of Executive Order 13507")
_NOMINAL = re.compile(r"(?:revocations?|rescissions?|amendments?|modifications?|suspension)\s+(?:of|to)\b", re.I)
# "the Presidential Memorandum of August 25, 2017 ..., remains revoked": a state, not a change (the verb of no relation)
_STATE = re.compile(r"\bremains?\s+(?:revoked|rescinded|superseded|suspended)\b", re.I)
# "Nothing in this order shall supersede ... Executive Order 12968": the verb is denied
_DENIED = re.compile(r"\bnothing\s+in\s+this\s+(?:order|proclamation|section|memorandum)\s+"
                     r"(?:shall\s+(?:be\s+(?:construed|deemed)\s+to\s+)?)?$", re.I)


def _first_at_or_after(starts: list[int], default: int, at: int) -> int:
    return next((start for start in starts if start >= at), default)


def _verbs_of(target: _Target, verbs: list[tuple[int, int, str]], carried_over: bool, masked: str,
              first_target_after: Callable[[int], int]) -> list[tuple[str, tuple[int, int]]]:
    """The change a sentence makes to one of the orders it names: the first verb after it ("X is revoked and Y is
    amended"), else the last before it when that verb is followed closely by the orders it acts on ("I hereby
    revoke X, Y and Z"), with the verbs right beside that one."""
    if not verbs:
        return []
    if carried_over:
        return [(name, (a, b)) for a, b, name in verbs]
    after = [v for v in verbs if v[0] >= target.end and not _NOMINAL.match(masked, v[0])]
    if after:
        chosen = [after[0]]
        for verb in after[1:]:  # "is revoked and superseded", not "is revoked and Executive Order 13562 is amended"
            between = masked[chosen[-1][1]:verb[0]]
            if verb[0] - chosen[-1][1] > _CLUSTER_CHARS or re.search(r"\d|Order|Proclamation", between):
                break
            chosen.append(verb)
        return [(name, (a, b)) for a, b, name in chosen]
    before = [v for v in verbs if v[1] <= target.start]
    if not before or first_target_after(before[-1][1]) - before[-1][1] > _VERB_BEFORE_CHARS:
        return []
    return [(name, (a, b)) for a, b, name in before if before[-1][0] - a <= _CLUSTER_CHARS]


_CITATION_END = re.compile(r"(?:\bF\.\s?R|\bU\.\s?S\.\s?C|\bStat|\bNos?|\bSec|\bR|\bT)\.$")


def _sentences(text: str) -> list[tuple[int, int]]:
    """Sentences, with those broken after a citation ("(24 F.R. 8289)") joined again; the title line left out
    (it names the order the document amends without doing it: the text does)."""
    joined: list[tuple[int, int]] = []
    for start, end in split_sentences(text):
        if joined and _CITATION_END.search(text, joined[-1][0], joined[-1][1]) and "\n\n" not in text[joined[-1][1]:start]:
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return [(start, end) for start, end in joined if not text.startswith("# ", start)]


_WHEREAS = re.compile(r"[\s*_]*WHEREAS\b")
# a title that states the change: "Executive Order 13741: Amending Executive Order 13467 To Establish ..."
_TITLE_CHANGE = re.compile(
    rf"^(?:Further\s+)?(?P<verb>Amending|Amendments?\s+(?:to|of)|Revoking|Revocation\s+of|Modifying|Extending|Suspending|Superseding)"
    rf"\s+(?:Sections?\s+[\w.()-]+\s+(?:and\s+[\w.()-]+\s+)?of\s+)?(?P<kind>Executive\s+Orders?|Proclamations?)\s+(?:Nos?\.?\s*)?"
    rf"(?P<numbers>{_NUMBER_LIST})", re.I)
_TITLE_VERBS = {"amend": "amends", "revok": "revokes", "revoc": "revokes", "modif": "modifies", "exten": "extends",
                "suspe": "suspends", "super": "supersedes"}


def _title_relations(document: Document, own: tuple[str, str] | None, effective: str | None) -> list[Relation]:
    """The changes a document's title says it makes, quoted from the title's line in the text (a body whose
    extraction lost the sentence that names the order still has its title)."""
    title = re.sub(r"^\s*(?:Executive\s+Order|Proclamation)\s+(?:No\.\s*)?\d{3,5}\s*[:.—–-]\s*", "", document.title or "", flags=re.I)
    match = _TITLE_CHANGE.match(title)
    if not match:
        return []
    text = document.text
    at = [m.start() for m in re.finditer(re.escape(title[:80]), text)]
    if not at:
        return []
    start = next((a for a in at if a > 0 and text.rfind("\n", 0, a) > 0), at[0])
    end = start + len(title) if text.startswith(title, start) else text.find("\n", start)
    end = len(text) if end < 0 else end
    relation = next(name for stem, name in _TITLE_VERBS.items() if match.group("verb").lower().startswith(stem))
    kind = _KINDS.get(re.sub(r"\s+", " ", match.group("kind").lower()), "executive_order")
    found = []
    for number, _ in _NUMBER_DATE.findall(match.group("numbers")):
        if own != (kind, number):
            label = f"{'Proclamation' if kind == 'proclamation' else 'Executive Order'} {number}"
            found.append(Relation(document.source, relation, kind, number, None, label, start,
                                  min(end, start + _QUOTE_CHARS), effective))
    return found


def _one_typo_apart(a: str, b: str) -> bool:
    """Two order numbers one digit or one swap of neighbouring digits apart (8304 and 8034, 2462 and 2463)."""
    if len(a) != len(b) or a == b:
        return False
    diff = [i for i, (x, y) in enumerate(zip(a, b)) if x != y]
    return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]])


# "Effective with respect to goods entered ... on or after ... April 9, 2025:", "This order shall take effect on ...":
# the document's own date of effect, not one it recalls ("I further declared ... effective ... May 2, 2025")
_OPENS_EFFECTIVE = re.compile(r"[\s*_#]*(?:(?:Sec(?:tion)?|SEC)\.?\s*\d+\.?\s*)?(?:\(\w{1,4}\)\s*)?Effective\b", re.I)
_THIS_ORDER_EFFECTIVE = re.compile(r"\bthis\s+order\s+(?:shall\s+)?(?:be(?:come)?\s+|is\s+)?(?:effective|take[s]?\s+effect)", re.I)


def _document_effective(text: str, masked: str, sentences: list[tuple[int, int]]) -> str | None:
    """The date the document's changes take effect, for a change whose sentence gives none: the first date of
    effect the document states of itself, else the first it mentions."""
    first = None
    for start, end in sentences:
        found = _EFFECTIVE.search(masked, start, end)
        if found:
            if _OPENS_EFFECTIVE.match(text, start) or _THIS_ORDER_EFFECTIVE.search(text, start, end):
                return parse_date(found.group("date"))
            first = first or found
    return parse_date(first.group("date")) if first else None


def extract_relations(document: Document) -> list[Relation]:
    """Every change `document` states it makes to another document, one relation per (target, kind of change)."""
    text = document.text
    masked = _mask(text)
    own = own_identifier(document.title) or own_identifier(text[:200])
    sentences = _sentences(text)
    document_effective = _document_effective(text, masked, sentences)
    # "the Executive Order of February 1, 2025 (Imposing Duties ...)": the title tells apart orders of one day
    titles = {parse_date(m.group("date")): m.group("title") for m in _DATED_TITLED.finditer(text)}
    relations: dict[tuple, Relation] = {}
    carried: list[tuple[int, int, str]] = []  # the verb of "The following are revoked:" for the list after it
    carried_when: str | None = None  # ... and the date it says the list takes effect
    gap = 0
    for start, end in sentences:
        if _WHEREAS.match(text, start):
            carried = []
            continue  # a preamble recalls what was done; it acts on nothing
        verbs = sorted((m.start(), m.end(), name) for name, pattern in _VERBS.items() for m in pattern.finditer(masked, start, end)
                       if not _DENIED.search(masked, start, m.start()))
        verbs = sorted(verbs + [(m.start(), m.end(), "") for m in _STATE.finditer(masked, start, end)]) if verbs else verbs
        targets = _targets(text, start, end, masked, own, titles)
        if verbs and not targets:
            opens_list = text[start:end].rstrip().endswith(":") or re.search(r"\b(?:following|below)\b", text[start:end], re.I)
            carried, gap = (verbs, 0) if opens_list else ([], 0)
            opened = _EFFECTIVE.search(masked, start, end)  # "(a) Effective October 1, 1981, the following ... are revoked:"
            carried_when = parse_date(opened.group("date")) if opens_list and opened else None
            continue
        if _SECTION.match(text, start):
            carried = []
        if not targets:
            # a list item that names no order (a body set up by a memorandum) or a line broken off one
            gap += 0 if _LIST_ITEM.match(text, start) else 1
            if gap > _LIST_GAP:
                carried = []
            continue
        gap = 0
        if verbs:
            carried = []
        elif not (_LIST_ITEM.match(text, start) or _BULLET.match(text, start) or targets[0].start == start):
            continue  # a sentence after the list that names an order without changing it
        here = _EFFECTIVE.search(masked, start, end)
        when = parse_date(here.group("date")) if here else (carried_when if not verbs else None) or document_effective
        starts = sorted(t.start for t in targets)
        first_target_after = functools.partial(_first_at_or_after, starts, end)
        for target in targets:
            for name, verb in _verbs_of(target, verbs or carried, not verbs, masked, first_target_after):
                if not name:
                    continue
                key = (name, target.kind, target.number, target.date if target.number is None else None)
                if key in relations:
                    continue
                quote_start, quote_end = _quote_span(text, start, end, target, verb)
                relations[key] = Relation(document.source, name, target.kind, target.number, target.date,
                                          target.label, quote_start, quote_end, when)
    for relation in _title_relations(document, own, document_effective):
        # a title and a text that name the same change by numbers one typo apart (10739 and 10379): the text's
        if not any(r.relation == relation.relation and r.target_number and _one_typo_apart(r.target_number, relation.target_number)
                   for r in relations.values()):
            relations.setdefault((relation.relation, relation.target_kind, relation.target_number, None), relation)
    return list(relations.values())
