"""Checking a language model's answer against the sources it cites, before it is shown.

The model writes sentences with `[n]` markers that name numbered sources (the retrieved chunks).
`check_answer()` splits the answer into sentences, drops markers that name no source, and for
every cited claim finds the verbatim sentence (or pair of adjacent sentences, or clause) of the
cited chunk that supports it best, scoring

* lexical coverage: the share of the claim's content words (stemmed, stop words removed) found
  in the span, and
* embedding similarity: the cosine of the claim and the span under the sentence embedder.

A claim is supported when its cited spans cover at least `lexical_threshold` (0.5) of its content
words or one of them reaches `cosine_threshold` (0.75), the mean of the two reaches
`support_threshold` (0.58), and (by default) every number of the claim occurs in them. The defaults
were set on hand-made true and false claims over the demo corpus with all-MiniLM-L6-v2: a cosine of
0.6 alone accepts claims that merely share the topic. Neither signal can see a negation or a
contradiction that reuses the source's words ("the order repealed X" against "the order relies on
X"); the check is a guard against invented and misattributed claims, not a proof of entailment. The citation's quote is the span itself, cut from the document text, so
`quote == document_text[start:end]` always holds. Citations are renumbered 1..N in order of first
use; unsupported claims keep their text and are flagged (`supported: false`, plus a visible
`[unsupported]` mark in the answer text).

All functions here are pure: the embedder and the document texts are passed in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable, Sequence

import numpy as np

from assistant.answers import Citation
from assistant.extractive import display_text
from ingest.text import Span, split_clauses, split_sentences, strip_span
from vectorstore.hits import RetrievedChunk
from vectorstore.lexical import tokenize

Embed = Callable[[Sequence[str]], np.ndarray]
DocumentText = Callable[[str], "str | None"]

REFUSAL_SENTENCE = "The documents do not answer this."
UNSUPPORTED_MARK = "[unsupported]"

_NUM = r"\d{1,3}"
_PREFIX = r"(?:(?:source|src|doc|document|ref)\.?\s*#?\s*)?"
MARKER = re.compile(
    rf"\[\s*{_PREFIX}({_NUM}(?:\s*(?:,|;|&|and|-|–)\s*{_PREFIX}{_NUM})*)\s*\]",
    re.IGNORECASE,
)
_SPACED_MARKER = re.compile(rf"([ \t]*)({MARKER.pattern})", re.IGNORECASE)
_MARKER_NUMBER = re.compile(rf"({_NUM})(?:\s*[-–]\s*({_NUM}))?")
_LEADING_MARKERS = re.compile(rf"(?:\s*{MARKER.pattern})+[.,;:]?", re.IGNORECASE)  # used with .match(text, pos)
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([.,;:!?])")
_THINK = re.compile(r"<think>.*?(?:</think>|$)", re.DOTALL | re.IGNORECASE)
_REFUSAL = re.compile(
    r"\b(?:the\s+)?(?:provided\s+|given\s+|available\s+|retrieved\s+)?(?:documents?|sources?|passages?|texts?)\s+"
    r"(?:do(?:es)?\s*n[o']t|did\s*n[o']t|cannot|can\s*not|fail\s+to)\s+"
    r"(?:answer|address|cover|contain\s+(?:the\s+|an\s+|any\s+|enough\s+)?(?:answer|information))",
    re.IGNORECASE,
)
_LONG_SENTENCE_WORDS = 45


@dataclass(slots=True)
class CheckConfig:
    """Thresholds of the support check (exposed so they can be tuned on evaluation questions)."""

    lexical_threshold: float = 0.5
    """Share of the claim's content words that its cited spans must contain ..."""
    cosine_threshold: float = 0.75
    """... or the embedding cosine one cited span must reach (a close paraphrase with other words) ..."""
    support_threshold: float = 0.58
    """... and the weighted mean of the two must reach this (it rejects claims that only share a topic)."""
    lexical_weight: float = 0.5
    """Weight of lexical coverage (the rest is cosine) in that mean and when choosing a source's best span."""
    require_numbers: bool = True
    """A claim whose numbers (amounts, dates, section numbers) are missing from its spans is unsupported."""
    min_claim_terms: int = 3
    """An uncited sentence with fewer content words is a connective ("In short:"), not a claim."""
    pair_spans: bool = True
    """Also consider two adjacent sentences as one span (claims often merge them) ..."""
    pair_penalty: float = 0.05
    """... but prefer a single sentence unless the pair scores this much better (shorter quotes read better)."""
    unsupported_mark: str = UNSUPPORTED_MARK
    """Appended to unsupported claims in the answer text; empty to leave the text alone."""


@dataclass(slots=True)
class SpanMatch:
    """The best span of one cited source for one claim."""

    source_number: int
    chunk: RetrievedChunk
    start: int
    end: int
    quote: str
    lexical: float
    cosine: float
    score: float
    terms: set[str] = field(default_factory=set)
    n: int = 0
    """The citation number it got after renumbering."""


@dataclass(slots=True)
class CheckedSentence:
    """One sentence of the model's answer after checking."""

    start: int
    end: int
    raw: str
    text: str
    terms: set[str]
    sources: list[int]
    removed: list[int]
    is_claim: bool
    matches: list[SpanMatch] = field(default_factory=list)
    supported: bool = True
    lexical: float = 0.0
    cosine: float = 0.0
    citations: list[int] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"text": self.text, "citations": list(self.citations), "supported": self.supported}


@dataclass(slots=True)
class CheckedAnswer:
    """The answer as it is shown: renumbered markers, flagged claims, one citation per marker."""

    text: str
    citations: list[Citation]
    sentences: list[CheckedSentence]
    refusal: bool
    removed_markers: list[int]

    @property
    def claims(self) -> list[CheckedSentence]:
        return [s for s in self.sentences if s.is_claim]

    @property
    def supported_claims(self) -> int:
        return sum(1 for s in self.claims if s.supported)

    @property
    def unsupported_claims(self) -> int:
        return sum(1 for s in self.claims if not s.supported)

    def sentences_json(self) -> list[dict]:
        """`[{"text", "citations", "supported"}]` for every sentence with text (stray markers are left out)."""
        return [s.to_json() for s in self.sentences if s.text]


# -- small pure helpers ---------------------------------------------------------------------------


def strip_reasoning(text: str) -> str:
    """Drop `<think>...</think>` blocks some local models emit before the answer."""
    return _THINK.sub("", text)


def is_refusal(text: str) -> bool:
    """True when the text says the documents do not answer (the prompt's refusal sentence, or close to it)."""
    return bool(_REFUSAL.search(" ".join(text.split())))


def marker_numbers(marker: str) -> list[int]:
    """The source numbers of one marker: `[2]` -> [2], `[1, 3]` -> [1, 3], `[2-4]` -> [2, 3, 4]."""
    match = MARKER.fullmatch(marker.strip())
    if not match:
        return []
    numbers: list[int] = []
    for part in _MARKER_NUMBER.finditer(match.group(1)):
        first = int(part.group(1))
        last = int(part.group(2)) if part.group(2) else first
        if last < first or last - first > 20:
            last = first
        for n in range(first, last + 1):
            if n not in numbers:
                numbers.append(n)
    return numbers


def strip_markers(text: str) -> str:
    """The sentence without its markers, on one line, with no space left before punctuation."""
    return _SPACE_BEFORE_PUNCT.sub(r"\1", " ".join(MARKER.sub(" ", text).split()))


def content_terms(text: str) -> set[str]:
    """Content words of a text as the lexical index sees them (stemmed, stop words removed)."""
    return set(tokenize(display_text(text)))


def _is_number(term: str) -> bool:
    return term[:1].isdigit()


def lexical_coverage(claim_terms: set[str], span_terms: set[str]) -> float:
    """Share of the claim's content words that the span contains."""
    if not claim_terms:
        return 0.0
    return len(claim_terms & span_terms) / len(claim_terms)


def answer_sentences(text: str) -> list[Span]:
    """Sentence spans of a model answer; markers written after the full stop (`... rate. [1]`) stay with their sentence."""
    spans = [list(span) for span in split_sentences(text)]
    merged: list[list[int]] = []
    for span in spans:
        start, end = span
        if merged:
            lead = _LEADING_MARKERS.match(text, start, end)
            if lead:
                merged[-1][1] = lead.end()
                start, end = strip_span(text, lead.end(), end)
                if end <= start:
                    continue
        merged.append([start, end])
    return [(s, e) for s, e in merged]


def candidate_spans(text: str, start: int, end: int, pairs: bool = True) -> list[Span]:
    """Verbatim spans of `text[start:end]` a claim can be matched to: sentences, clauses of long ones, adjacent pairs."""
    sentences = [strip_span(text, s, e) for s, e in split_sentences(text, start, end)]
    sentences = [(s, e) for s, e in sentences if e > s and len(text[s:e].split()) >= 2]
    spans: list[Span] = list(sentences)
    for s, e in sentences:
        if len(text[s:e].split()) > _LONG_SENTENCE_WORDS:
            clauses = [strip_span(text, cs, ce) for cs, ce in split_clauses(text, s, e)]
            spans.extend(c for c in clauses if c[1] > c[0] and c != (s, e) and len(text[c[0]:c[1]].split()) >= 3)
    if pairs:
        spans.extend((a[0], b[1]) for a, b in zip(sentences, sentences[1:]))
    seen: set[Span] = set()
    return [span for span in spans if not (span in seen or seen.add(span))]


# -- the check ------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Source:
    """A numbered source prepared for matching: its text (the document text when known) and its spans."""

    number: int
    chunk: RetrievedChunk
    text: str
    offset: int
    spans: list[Span]
    pairs: list[bool]
    terms: list[set[str]]
    vectors: np.ndarray | None = None


def _prepare_source(number: int, chunk: RetrievedChunk, document_text: DocumentText, pairs: bool) -> _Source:
    text = document_text(chunk.source)
    offset, start, end = 0, chunk.start, chunk.end
    if text is None or not (0 <= chunk.start <= chunk.end <= len(text)):
        # The document text is not available: quote from the chunk text, whose offsets start at chunk.start.
        text, offset, start, end = chunk.text, chunk.start, 0, len(chunk.text)
    singles = set(candidate_spans(text, start, end, pairs=False))
    spans = candidate_spans(text, start, end, pairs=pairs)
    return _Source(number, chunk, text, offset, spans, [span not in singles for span in spans],
                   [content_terms(text[s:e]) for s, e in spans])


def check_answer(
    raw: str,
    chunks: Sequence[RetrievedChunk],
    embed: Embed,
    document_text: DocumentText,
    config: CheckConfig | None = None,
) -> CheckedAnswer:
    """Check a model answer whose `[n]` markers refer to `chunks` (source n is `chunks[n-1]`)."""
    config = config or CheckConfig()
    text = strip_reasoning(raw).strip()
    sentences: list[CheckedSentence] = []
    removed_all: list[int] = []
    for start, end in answer_sentences(text):
        sentence = text[start:end]
        valid: list[int] = []
        removed: list[int] = []
        for marker in MARKER.finditer(sentence):
            for n in marker_numbers(marker.group(0)):
                if 1 <= n <= len(chunks):
                    if n not in valid:
                        valid.append(n)
                else:
                    removed.append(n)
        claim = display_text(strip_markers(sentence))
        terms = content_terms(claim)
        refusal_sentence = is_refusal(claim)
        is_claim = bool(claim) and bool(terms) and not refusal_sentence and (bool(valid or removed) or len(terms) >= config.min_claim_terms)
        sentences.append(
            CheckedSentence(start=start, end=end, raw=sentence, text=claim, terms=terms,
                            sources=valid if is_claim else [], removed=removed, is_claim=is_claim)
        )
        removed_all.extend(removed)

    _match_claims(sentences, chunks, embed, document_text, config)

    # Renumber 1..N in order of first use: one citation per distinct (passage, span).
    citations: list[Citation] = []
    numbers: dict[tuple[str, str, int, int], int] = {}
    for sentence in sentences:
        for match in sentence.matches:
            key = (match.chunk.source, match.chunk.chunk_id, match.start, match.end)
            if key not in numbers:
                numbers[key] = len(citations) + 1
                chunk = match.chunk
                citations.append(
                    Citation(n=numbers[key], source=chunk.source, title=chunk.title, chunk_id=chunk.chunk_id,
                             quote=match.quote, start=match.start, end=match.end, page=chunk.page,
                             score=match.score, heading=chunk.heading, date=chunk.date)
                )
            match.n = numbers[key]
            if match.n not in sentence.citations:
                sentence.citations.append(match.n)

    refusal = is_refusal(text) and not any(s.is_claim and s.supported and s.citations for s in sentences)
    return CheckedAnswer(
        text=_rebuild(text, sentences, config),
        citations=citations,
        sentences=sentences,
        refusal=refusal,
        removed_markers=removed_all,
    )


def _match_claims(
    sentences: list[CheckedSentence],
    chunks: Sequence[RetrievedChunk],
    embed: Embed,
    document_text: DocumentText,
    config: CheckConfig,
) -> None:
    cited = sorted({n for s in sentences for n in s.sources})
    sources = {n: _prepare_source(n, chunks[n - 1], document_text, config.pair_spans) for n in cited}
    claims = [s for s in sentences if s.is_claim and s.sources]

    texts: list[str] = [s.text for s in claims]
    slices: dict[int, tuple[int, int]] = {}
    for n, source in sources.items():
        first = len(texts)
        texts.extend(display_text(source.text[a:b]) or source.text[a:b] for a, b in source.spans)
        slices[n] = (first, len(texts))
    vectors = np.asarray(embed(texts), dtype=np.float32) if texts else np.zeros((0, 1), dtype=np.float32)
    claim_vectors = vectors[: len(claims)]
    for n, (a, b) in slices.items():
        sources[n].vectors = vectors[a:b]

    for index, sentence in enumerate(claims):
        for n in sentence.sources:
            source = sources[n]
            if not source.spans:
                continue
            cosines = source.vectors @ claim_vectors[index]
            best = None
            for (s, e), is_pair, span_terms, cosine in zip(source.spans, source.pairs, source.terms, cosines):
                lexical = lexical_coverage(sentence.terms, span_terms)
                score = config.lexical_weight * lexical + (1 - config.lexical_weight) * float(cosine)
                rank = score - (config.pair_penalty if is_pair else 0.0)
                if best is None or rank > best[0] + 1e-9:
                    best = (rank, score, s, e, lexical, float(cosine), span_terms)
            _, score, s, e, lexical, cosine, span_terms = best
            start, end = s + source.offset, e + source.offset
            quote = source.text[s:e]
            sentence.matches.append(
                SpanMatch(source_number=n, chunk=source.chunk, start=start, end=end, quote=quote,
                          lexical=lexical, cosine=cosine, score=score, terms=span_terms)
            )

    for sentence in sentences:
        if not sentence.is_claim:
            sentence.supported = True
            continue
        if not sentence.matches:
            sentence.supported = False
            continue
        covered = set().union(*(m.terms for m in sentence.matches))
        sentence.lexical = lexical_coverage(sentence.terms, covered)
        sentence.cosine = max(m.cosine for m in sentence.matches)
        numbers_ok = not config.require_numbers or {t for t in sentence.terms if _is_number(t)} <= covered
        combined = config.lexical_weight * sentence.lexical + (1 - config.lexical_weight) * sentence.cosine
        sentence.supported = (
            numbers_ok
            and (sentence.lexical >= config.lexical_threshold or sentence.cosine >= config.cosine_threshold)
            and combined >= config.support_threshold
        )


def _rebuild(text: str, sentences: list[CheckedSentence], config: CheckConfig) -> str:
    """The answer text with markers renumbered (or removed) and unsupported claims marked; layout kept."""
    out: list[str] = []
    cursor = 0
    for sentence in sentences:
        out.append(text[cursor : sentence.start])
        by_source = {m.source_number: m.n for m in sentence.matches}
        emitted: set[int] = set()

        def replace(marker: re.Match) -> str:
            new = []
            for n in marker_numbers(marker.group(2)):
                number = by_source.get(n)
                if number is not None and number not in emitted:
                    emitted.add(number)
                    new.append(f"[{number}]")
            return marker.group(1) + "".join(new) if new else ""

        body = _SPACED_MARKER.sub(replace, sentence.raw)
        if sentence.is_claim and not sentence.supported and config.unsupported_mark:
            body = f"{body} {config.unsupported_mark}"
        out.append(body)
        cursor = sentence.end
    out.append(text[cursor:])
    return "".join(out).strip()

