"""A document's place in the chain of documents that change each other: what it acts on, what acts on it, and the
later changes an answer must mention when it quotes a document that was amended, revoked or suspended since.

The relations are found at ingest (`ingest/relations.py`) and kept in the catalog; here they are resolved to the
documents ingested now, so a new order that revokes an old one shows up in the old one's history at once.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

from assistant.answers import CHANGES_NOTE, Answer, Citation
from assistant.extractive import display_text
from ingest.catalog import Catalog
from ingest.relations import PAST_TENSE, Relation, own_identifier

# changes that alter what a document says or whether it applies (not "implements" or "continues")
CHANGING = ("revokes", "supersedes", "suspends", "amends", "modifies", "extends")
# The answer's note tells the newest later change of a quoted document, quoted, since what changed is often the
# answer (time validation keyword accuracy 0.417 naming it only, 0.528 quoting it; telling two instead of one
# changed none of the 39 and added a word to the median validation answer); each citation lists up to
# LATER_CHANGES_LISTED in `later_changes`, newest first, and `policyqa history` shows them all.
LATER_CHANGES_TOLD = 1
LATER_CHANGES_LISTED = 10
ACTING_NOTES_PER_ANSWER = 1  # "[2] is from Executive Order 10983 of December 30, 1961, which revokes Executive Order 10025"
_TITLE_MATCH = 0.6  # share of the words of the title the text gives that the order's own title must hold


def in_force(change: "Change", as_of: str | None) -> bool:
    """Whether a change had been made and had taken effect by a date (a change made later with effect from an
    earlier day had not: on that date the text still read otherwise); every change has, without a date."""
    return not as_of or max(change.effective or "", change.acting_date or "") <= as_of


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]{3,}", text.lower())}


# questions about a document's standing, answered from the relations when they name it by number: "Is Executive Order
# 13694 still in force?", "Which order revoked Executive Order 14031?", "Has Proclamation 10896 been suspended?"
_IN_FORCE = re.compile(r"^\s*(?:is|was|are|were|does|did|has|remains?)\b[^?]*\b(?:in force|in effect)\b"
                       r"|\bstill (?:in force|in effect|valid|effective|operative|applies|apply)\b", re.I)
_CHANGED_BY = re.compile(r"\b(?:(?:which|what)\s+(?:later\s+)?(?:executive\s+)?(?:orders?|proclamations?|documents?)\s+"
                         r"(?:later\s+)?|\bbeen\s+)(revoked|rescinded|superseded|replaced|amended|modified|changed|"
                         r"suspended|extended)\b", re.I)
_ASKED = {"revoked": ("revokes", "supersedes"), "rescinded": ("revokes",), "superseded": ("supersedes", "revokes"),
          "replaced": ("supersedes", "revokes"), "amended": ("amends", "modifies"), "modified": ("modifies", "amends"),
          "changed": CHANGING, "suspended": ("suspends",), "extended": ("extends",)}
ENDING = ("revokes", "supersedes")  # changes after which a document is no longer in force
RELATION_ANSWER_CHANGES = 3  # changes quoted in an answer from the relations, newest first

_NUMBER_QUERY = re.compile(r"^\s*(?:(E\.?\s?O\.?|Executive\s+Order|Proclamation)\s*(?:No\.?\s*)?)?(\d{3,5})\s*$", re.I)


@dataclass(slots=True)
class Change:
    """One relation between two documents: `acting` `relation` `target`, said by `acting`'s text[start:end]."""

    relation: str
    acting_source: str
    acting_title: str
    acting_date: str | None
    target_label: str
    target_sources: list[str]
    quote: str
    start: int
    end: int
    effective: str | None = None

    def acting_name(self) -> str:
        return document_name(self.acting_title, self.acting_date, self.acting_source)

    def to_json(self) -> dict:
        """The `later_changes` item of a citation (`../shared/DESIGN.md`), plus the target."""
        return {"relation": self.relation, "source": self.acting_source, "title": self.acting_title,
                "date": self.acting_date, "quote": self.quote, "start": self.start, "end": self.end,
                "effective": self.effective, "target": self.target_label, "target_sources": self.target_sources}


@dataclass(slots=True)
class Timeline:
    """What `policyqa history` prints: a document, the documents it acts on, and those that act on it."""

    source: str
    title: str
    date: str | None
    acts_on: list[Change] = field(default_factory=list)
    acted_on_by: list[Change] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"source": self.source, "title": self.title, "date": self.date,
                "acts_on": [c.to_json() for c in self.acts_on], "acted_on_by": [c.to_json() for c in self.acted_on_by]}


def instrument_name(kind: str, number: str) -> str:
    """"Executive Order 14266" for ("executive_order", "14266"), "Proclamation 10896" for a proclamation."""
    return f"{'Proclamation' if kind == 'proclamation' else 'Executive Order'} {number}"


def document_name(title: str, date: str | None, source: str = "") -> str:
    """"Executive Order 14266 of April 9, 2025", or the title when the document has no number."""
    identifier = own_identifier(title)
    name = instrument_name(*identifier) if identifier else title or source
    return f"{name} of {_long_date(date)}" if date else name


def _long_date(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        year, month, day = (int(part) for part in iso.split("-"))
    except ValueError:
        return iso
    months = ("January February March April May June July August September October November December").split()
    return f"{months[month - 1]} {day}, {year}"


class DocumentHistory:
    """Resolves the stored relations against the documents ingested now."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        # later changes by document, for the catalog generation they were read at: a question asks for them twice
        # (the reader reads them, the answer tells them), and each costs a few queries and document texts
        self._later: dict[str, list[Change]] = {}
        self._later_generation = -1
        self._lock = threading.Lock()

    def resolve(self, identifier: str) -> list[str]:
        """The documents meant by a source, a file source, or an order's number ("14257", "EO 14257",
        "Executive Order 14257", "Proclamation 9705")."""
        if self.catalog.document_text(identifier) is not None:
            return [identifier]
        number = _NUMBER_QUERY.match(identifier)
        if number:
            kind = "proclamation" if (number.group(1) or "").lower().startswith("proc") else "executive_order"
            return self.catalog.sources_numbered(kind, number.group(2))
        file_source = self.catalog.file_of(identifier)
        return [d.source for d in self.catalog.documents() if d.file_source == file_source] if file_source else []

    def _targets(self, relation: Relation) -> list[str]:
        if relation.target_number:
            return self.catalog.sources_numbered(relation.target_kind, relation.target_number)
        if relation.target_date:
            same_day = self.catalog.sources_on(relation.target_kind, relation.target_date)
            if len(same_day) <= 1:
                return same_day
            # several orders of that day: the one whose title the text gives ("... of February 1, 2025 (Imposing ...)")
            named = _words(relation.target_label.partition("(")[2])
            if not named:
                return []
            overlap = {s: len(named & _words(self.catalog.title_date(s)[0])) / len(named) for s in same_day}
            ranked = sorted(overlap.values(), reverse=True)
            best = max(overlap, key=overlap.get)
            return [best] if overlap[best] >= _TITLE_MATCH and ranked[0] > ranked[1] else []
        return []

    def _change(self, relation: Relation, text: str | None = None) -> Change:
        title, date = self.catalog.title_date(relation.source)
        text = text if text is not None else self.catalog.document_text(relation.source) or ""
        return Change(relation.relation, relation.source, title, date, relation.target_label, self._targets(relation),
                      text[relation.start:relation.end], relation.start, relation.end, relation.effective)

    def _onto(self, source: str) -> list[Change]:
        """Changes other documents make to this one (an order named only by its date must resolve to this one)."""
        changes = (self._change(r) for r in self.catalog.relations_onto(source))
        return [c for c in changes if source in c.target_sources]

    def changes_onto_number(self, kind: str, number: str, as_of: str | None = None) -> list[Change]:
        """The changes (CHANGING) made to the document of this number, ingested or not, by `as_of` when given,
        newest first."""
        sources = self.catalog.sources_numbered(kind, number)
        if sources:
            changes = [c for source in sources for c in self._onto(source)]
        else:
            changes = [self._change(r) for r in self.catalog.relations_onto_number(kind, number)]
        changes = [c for c in changes if c.relation in CHANGING and in_force(c, as_of)]
        return sorted(changes, key=lambda c: (c.acting_date or "", c.acting_source, c.start), reverse=True)

    def answer_from_relations(self, question: str, instruments: tuple[tuple[str, str], ...],
                              as_of: str | None = None) -> Answer | None:
        """The answer to a question about the standing of one document it names by number ("Is Executive Order
        13694 still in force?", "Which order revoked Executive Order 14031?"): the changes later documents made to it,
        each cited to the sentence that makes it; None for any other question, or when no relation answers it."""
        asked_in_force, asked_change = _IN_FORCE.search(question), _CHANGED_BY.search(question)
        if len({number for _, number in instruments}) != 1 or not (asked_in_force or asked_change):
            return None
        kind = "proclamation" if instruments[0][0].lower().startswith("proc") else "executive_order"
        number = instruments[0][1]
        name = instrument_name(kind, number)
        wanted = _ASKED[asked_change.group(1).lower()] if asked_change else CHANGING
        every_change = self.changes_onto_number(kind, number, as_of)
        changes = [c for c in every_change if c.relation in wanted]
        answer = Answer(question=question, answer="")
        if not changes:
            yes_no = asked_in_force or asked_change.group(0).lower().startswith("been")
            return self._unchanged(answer, kind, number, as_of) if yes_no and not every_change else None
        told = []
        for change in changes[:RELATION_ANSWER_CHANGES]:
            n = self._cite(answer, change)
            told.append(f"{name} was {PAST_TENSE[change.relation].lower()} by {change.acting_name()} [{n}]: "
                        f"“{display_text(change.quote)}”")
        lead = ""
        if asked_in_force:
            ended = any(c.relation in ENDING for c in changes)
            lead = "No. " if ended else f"No ingested document revokes or supersedes {name}; later ones changed it. "
        answer.answer = lead + " ".join(told)
        return answer

    def _unchanged(self, answer: Answer, kind: str, number: str, as_of: str | None) -> Answer | None:
        """"No ingested document revokes, ..." for a document in force as far as the ingested ones say, cited to
        its own first line."""
        sources = self.catalog.sources_numbered(kind, number)
        text = self.catalog.document_text(sources[0]) if sources else None
        if not text or not text.strip():
            return None
        start = len(text) - len(text.lstrip("# \n\t"))  # the first line, without its Markdown heading marks
        end = text.find("\n", start)
        end = len(text) if end < 0 else end
        title, date = self.catalog.title_date(sources[0])
        n = self._cite_span(answer, sources[0], title, date, start, end, text[start:end])
        standing = (f" by {_long_date(as_of)}, so as far as these documents tell it was in force then" if as_of
                    else ", so as far as these documents tell it is in force")
        answer.answer = (f"No ingested document revokes, supersedes, suspends or amends {document_name(title, date)} "
                         f"[{n}]{standing}.")
        return answer

    def timeline(self, source: str) -> Timeline:
        title, date = self.catalog.title_date(source)
        text = self.catalog.document_text(source) or ""
        acts_on = [self._change(r, text) for r in self.catalog.relations_from(source)]
        acted_on_by = sorted(self._onto(source), key=lambda c: (c.acting_date or "", c.acting_source, c.start))
        return Timeline(source, title, date, acts_on, acted_on_by)

    def later_changes(self, source: str) -> list[Change]:
        """Documents dated after this one that revoke, supersede, suspend, amend, modify or extend it, newest first."""
        generation = self.catalog.generation
        with self._lock:
            if generation != self._later_generation:
                self._later, self._later_generation = {}, generation
            if source in self._later:
                return self._later[source]
        _, date = self.catalog.title_date(source)
        changes = [c for c in self._onto(source) if c.relation in CHANGING]
        later = [c for c in changes if not date or not c.acting_date or c.acting_date >= date]
        later.sort(key=lambda c: (c.acting_date or "", CHANGING.index(c.relation) * -1), reverse=True)
        with self._lock:
            if generation == self._later_generation:
                self._later[source] = later
        return later

    def annotate(self, answer: Answer, as_of: str | None = None) -> Answer:
        """Tell after the answer how the documents it quotes stand in the chain.

        Which document a quoted change is made by ("Changes: [2] is from Executive Order 10983 of December 30, 1961,
        which revokes Executive Order 10025"), and the newest later change of the documents it quotes, cited to the
        later document's own sentence, quoted as any other evidence ("the order of [1] was later amended by Executive
        Order 12645 of July 12, 1988 [2]: “…”"). Every citation lists its document's later changes in
        `later_changes`. For a question about a date (`as_of`) the change told is the newest made by then, when
        there is one: the provision in force on that date."""
        if answer.refused or not answer.citations:
            return answer
        by_source: dict[str, list[Citation]] = {}
        for citation in answer.citations:
            by_source.setdefault(citation.source, []).append(citation)
        notes: list[str] = []
        for citation in answer.citations:  # a quote that is itself a change: say which document makes it
            for relation in self.catalog.relations_from(citation.source):
                note = (f"[{citation.n}] is from {self._change(relation).acting_name()}, which {relation.relation} "
                        f"{relation.target_label.partition(' (')[0]}")
                if relation.start < citation.end and citation.start < relation.end and note not in notes:
                    notes.append(note)
        notes = notes[:ACTING_NOTES_PER_ANSWER]
        told = 0
        for source, citations in by_source.items():
            changes = [c for c in self.later_changes(source) if c.acting_source != source]
            for citation in citations:
                citation.later_changes = [c.to_json() for c in changes[:LATER_CHANGES_LISTED]]
            if changes and told < LATER_CHANGES_TOLD:
                newest = next((c for c in changes if in_force(c, as_of)), changes[0])
                n = self._cite(answer, newest)
                cited = "".join(f"[{c.n}]" for c in citations)
                notes.append(f"the order of {cited} was later {PAST_TENSE[newest.relation].lower()} by "
                             f"{newest.acting_name()} [{n}]: “{display_text(newest.quote)}”")
                told += 1
        if notes:
            answer.answer = answer.answer + CHANGES_NOTE + "; ".join(notes)
        return answer

    @staticmethod
    def name_quoted(answer: Answer) -> Answer:
        """Say first which documents the quotes are from, for a question whose answer is a document ("Which order
        delayed them?"): "Executive Order 14198 of February 3, 2025 [1][2]: …"."""
        if answer.refused or not answer.citations:
            return answer
        markers: dict[str, str] = {}
        for citation in answer.citations:
            identifier = own_identifier(citation.title)
            if identifier and identifier[1] in citation.quote:  # the quote names it already (its title line)
                continue
            name = document_name(citation.title, citation.date, citation.source)
            markers[name] = markers.get(name, "") + f"[{citation.n}]"
        if markers:
            named = "; ".join(f"{name} {cited}" for name, cited in markers.items())
            answer.answer = f"{named}: {answer.answer}"
        return answer

    def _cite(self, answer: Answer, change: Change) -> int:
        """The marker of the later document's sentence: an existing citation of it, or a new one."""
        return self._cite_span(answer, change.acting_source, change.acting_title, change.acting_date, change.start,
                               change.end, change.quote)

    def _cite_span(self, answer: Answer, source: str, title: str, date: str | None, start: int, end: int,
                   quote: str) -> int:
        """The marker of `source`'s text[start:end] (`quote`): an existing citation holding it, or a new one."""
        for citation in answer.citations:
            if citation.source == source and citation.start <= start < citation.end:
                return citation.n
        chunk = next((c for c in self.catalog.chunks_of_sources([source]) if c.start <= start < c.end), None)
        n = len(answer.citations) + 1
        answer.citations.append(Citation(
            n=n, source=source, title=title, chunk_id=chunk.chunk_id if chunk else "", quote=quote, start=start,
            end=end, page=chunk.page if chunk else None, score=0.0, heading=chunk.heading if chunk else "", date=date))
        return n

