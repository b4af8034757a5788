"""Structure-aware chunking as an ordered list of small transforms, each `list[Chunk] -> list[Chunk]`.

A document becomes blocks (with their heading path), oversized blocks become sentences or
word windows, and consecutive blocks of one section are packed up to a token budget of the
embedding model. Every chunk keeps exact offsets: `chunk.text == document.text[start:end]`.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from typing import Callable, Sequence

from ingest.records import Chunk, Document, make_chunk_id
from ingest.text import heading_of, heading_text_start, split_blocks, split_clauses, split_sentences, strip_span

# Raise when a change to the code changes the chunks of existing documents: the next ingest re-chunks every file.
CHUNKING_VERSION = 3

_RECIPE_VERSION = f"v{CHUNKING_VERSION}"


def made_by_older_code(recipe: str) -> bool:
    """Whether a store's recorded recipe (`Chunker.recipe`) comes from an older version of this code; known without
    loading the model, which the sizes in the recipe depend on."""
    return recipe.split(" ", 1)[0] != _RECIPE_VERSION


TokenCounter = Callable[[Sequence[str]], list[int]]
Transform = Callable[[list[Chunk]], list[Chunk]]

_MIN_ALNUM = 12
_NOISE_HEADINGS = {"sources"}


def _span_chunk(doc: Document, start: int, end: int, heading: str) -> Chunk:
    return Chunk(chunk_id="", source=doc.source, text=doc.text[start:end], start=start, end=end,
                 heading=heading, title=doc.title, date=doc.date)


def structural_blocks(doc: Document) -> Transform:
    """Split the whole document into blocks, each tagged with its heading path (e.g. `Executive Order 14257 > Section 3.`)."""

    def transform(chunks: list[Chunk]) -> list[Chunk]:
        out: list[Chunk] = []
        for chunk in chunks:
            stack: list[tuple[int, str]] = []
            for start, end in split_blocks(doc.text, chunk.start, chunk.end):
                block = doc.text[start:end]
                heading = heading_of(block)
                if heading:
                    level, name = heading
                    if level == 1:
                        stack = []
                        continue
                    stack = [entry for entry in stack if entry[0] < level] + [(level, name)]
                    if block.lstrip().startswith("#"):
                        text_start = heading_text_start(block)
                        if text_start is None:
                            continue
                        start += text_start
                path = " > ".join(name for _, name in stack)
                out.append(_span_chunk(doc, start, end, path))
        return out

    return transform


def drop_noise(chunks: list[Chunk]) -> list[Chunk]:
    """Drop blocks with almost no words (rules, lone markup) and link lists under a `Sources` heading."""
    kept = []
    for chunk in chunks:
        if sum(ch.isalnum() for ch in chunk.text) < _MIN_ALNUM and not re.search(r"\d", chunk.text):
            continue
        last_heading = chunk.heading.rsplit(" > ", 1)[-1].strip().lower()
        if last_heading in _NOISE_HEADINGS:
            continue
        kept.append(chunk)
    return kept


def split_oversized(doc: Document, count_tokens: TokenCounter, max_tokens: int) -> Transform:
    """Break blocks over `max_tokens` into sentences, then clauses, then word windows."""

    def pieces(start: int, end: int, depth: int) -> list[tuple[int, int]]:
        if depth == 0:
            return split_sentences(doc.text, start, end)
        if depth == 1:
            return split_clauses(doc.text, start, end)
        words = [(start + m.start(), start + m.end()) for m in re.finditer(r"\S+", doc.text[start:end])]
        middle = len(words) // 2
        if middle == 0:
            return [(start, end)]
        return [(words[0][0], words[middle - 1][1]), (words[middle][0], words[-1][1])]

    def transform(chunks: list[Chunk]) -> list[Chunk]:
        out: list[Chunk] = []
        pending = [(chunk, 0) for chunk in chunks]
        while pending:
            counts = count_tokens([chunk.text for chunk, _ in pending])
            next_round: list[tuple[Chunk, int]] = []
            for (chunk, depth), tokens in zip(pending, counts):
                if tokens <= max_tokens:
                    out.append(chunk)
                    continue
                spans = pieces(chunk.start, chunk.end, depth)
                if len(spans) <= 1:
                    if depth < 2:
                        next_round.append((chunk, depth + 1))
                    else:
                        out.append(chunk)
                    continue
                next_round.extend((_span_chunk(doc, s, e, chunk.heading), min(depth + 1, 2)) for s, e in spans)
            pending = next_round
        out.sort(key=lambda c: c.start)
        return out

    return transform


def pack_by_tokens(doc: Document, count_tokens: TokenCounter, target_tokens: int, max_tokens: int) -> Transform:
    """Merge consecutive blocks of the same section until the next one would pass `target_tokens`."""

    def transform(chunks: list[Chunk]) -> list[Chunk]:
        if not chunks:
            return []
        counts = count_tokens([chunk.text for chunk in chunks])
        out: list[Chunk] = []
        group_start, group_tokens, current = chunks[0], counts[0], chunks[0]
        for chunk, tokens in zip(chunks[1:], counts[1:]):
            same_section = chunk.heading == current.heading
            if same_section and group_tokens + tokens <= target_tokens:
                current = chunk
                group_tokens += tokens
                continue
            out.append(_span_chunk(doc, group_start.start, current.end, group_start.heading))
            group_start, group_tokens, current = chunk, tokens, chunk
        out.append(_span_chunk(doc, group_start.start, current.end, group_start.heading))
        return _enforce_max(doc, out, count_tokens, max_tokens)

    return transform


def _enforce_max(doc: Document, chunks: list[Chunk], count_tokens: TokenCounter, max_tokens: int) -> list[Chunk]:
    """Tokenising a joined span can differ from the sum of its parts; split any chunk that ends up too long."""
    return split_oversized(doc, count_tokens, max_tokens)(chunks)


def assign_pages(doc: Document) -> Transform:
    def transform(chunks: list[Chunk]) -> list[Chunk]:
        if not doc.pages:
            return chunks
        return [replace(chunk, page=doc.page_at(chunk.start)) for chunk in chunks]

    return transform


def assign_ids(chunks: list[Chunk]) -> list[Chunk]:
    """Deterministic ids: hash of source, text and which copy of that text this is within the document."""
    seen: Counter[str] = Counter()
    out = []
    for chunk in chunks:
        occurrence = seen[chunk.text]
        seen[chunk.text] += 1
        out.append(replace(chunk, chunk_id=make_chunk_id(chunk.source, chunk.text, occurrence)))
    return out


def _memoised(count_tokens: TokenCounter) -> TokenCounter:
    """Token counts cached by text, so blocks counted while splitting are not tokenised again while packing."""
    cache: dict[str, int] = {}

    def count(texts: Sequence[str]) -> list[int]:
        missing = [t for t in dict.fromkeys(texts) if t not in cache]
        if missing:
            cache.update(zip(missing, count_tokens(missing)))
        return [cache[t] for t in texts]

    return count


class Chunker:
    """Turns a Document into Chunks sized in tokens of the embedding model."""

    def __init__(self, count_tokens: TokenCounter, target_tokens: int = 160, max_tokens: int = 254) -> None:
        self.count_tokens = count_tokens
        self.max_tokens = max_tokens
        self.target_tokens = min(target_tokens, max_tokens)

    @property
    def recipe(self) -> str:
        """What decides the chunks of a text: when it differs from the recipe a store was built with, its files are
        re-chunked on the next ingest."""
        return f"{_RECIPE_VERSION} target={self.target_tokens} max={self.max_tokens}"

    def transforms(self, doc: Document) -> list[Transform]:
        count = _memoised(self.count_tokens)
        return [
            structural_blocks(doc),
            drop_noise,
            split_oversized(doc, count, self.target_tokens),
            pack_by_tokens(doc, count, self.target_tokens, self.max_tokens),
            assign_pages(doc),
            assign_ids,
        ]

    def chunk(self, doc: Document) -> list[Chunk]:
        """Run the transforms over one document (token counts are memoised per span of text)."""
        start, end = strip_span(doc.text, 0, len(doc.text))
        chunks = [_span_chunk(doc, start, end, "")] if end > start else []
        for transform in self.transforms(doc):
            chunks = transform(chunks)
        return chunks
