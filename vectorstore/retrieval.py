"""Hybrid retrieval: dense (Chroma) and lexical (BM25) rankings fused by reciprocal rank fusion."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from ingest.catalog import Catalog, StoredChunk
from vectorstore.chroma_store import ChromaStore, DenseHit
from vectorstore.references import DateMention, NamedDocuments, YearMention, titles_instrument
from vectorstore.embeddings import Embedder
from vectorstore.hits import RetrievedChunk
from vectorstore.lexical import LexicalIndex

RRF_K = 60
YEAR_LIMIT = 100_000  # documents of a year searched for the one a question about two documents means (every one)
YEAR_CHUNKS = 3  # chunks of that document ranked
log = logging.getLogger(__name__)


@dataclass(slots=True)
class RetrievalResult:
    """Ranked chunks plus the query vector, which the answerer reuses to score sentences."""

    chunks: list[RetrievedChunk]
    query_vector: np.ndarray
    # documents the question names by number ("EO 14257") or, for a question about two documents, the best of each
    # year it names: the answerer reads them whole
    named_sources: tuple[str, ...] = ()


class ExactVectors:
    """Every vector of a store in one matrix: exact nearest neighbours, the same for the same question every time.

    Chroma's HNSW index is approximate, and on a store whose index holds only part of its vectors (the rest are
    replayed from Chroma's log at each start) the neighbours at ranks 25–40 differ from one start to the next.
    """

    def __init__(self, ids: list[str], matrix: np.ndarray) -> None:
        self.ids = ids
        self.matrix = matrix
        self._rows: dict[str, int] | None = None

    def vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The vectors of the given ids (missing ids are absent), as `ChromaStore.vectors` gives them."""
        if self._rows is None:
            self._rows = {chunk_id: row for row, chunk_id in enumerate(self.ids)}
        rows = self._rows
        return {cid: np.asarray(self.matrix[rows[cid]]) for cid in chunk_ids if cid in rows}

    def search(self, vector: np.ndarray, k: int) -> list[DenseHit]:
        if not self.ids:
            return []
        # einsum, not a BLAS product: BLAS threads spin after a call and slowed the ONNX Runtime sentence embedding
        # that follows by half
        similarities = np.einsum("ij,j->i", self.matrix, np.asarray(vector, dtype=np.float32))
        k = min(k, len(self.ids))
        top = np.argpartition(-similarities, k - 1)[:k]
        # ties broken by id, so that the order does not depend on the order Chroma returned the vectors in
        top = sorted(top, key=lambda i: (-similarities[i], self.ids[i]))
        return [DenseHit(self.ids[i], float(similarities[i])) for i in top]


class HybridRetriever:
    """Finds the passages that matter for a question."""

    def __init__(
        self,
        catalog: Catalog,
        store: ChromaStore,
        embedder: Embedder,
        lexical: LexicalIndex,
        lexical_rows: Callable,
        pool: int = 40,
        dense_weight: float = 1.0,
        lexical_weight: float = 1.0,
        dated_weight: float = 0.5,
        dated_limit: int = 40,
        dated_min_ratio: float = 0.8,
        exact_max_chunks: int = 10000,
        exact_cache: Path | None = None,
    ) -> None:
        self.catalog = catalog
        self.store = store
        self.embedder = embedder
        self.lexical = lexical
        self.lexical_rows = lexical_rows
        self.pool = pool
        self.dense_weight = dense_weight
        self.lexical_weight = lexical_weight
        self.dated_weight = dated_weight
        self.dated_limit = dated_limit
        self.dated_min_ratio = dated_min_ratio
        self.exact_max_chunks = exact_max_chunks
        self.exact_cache = exact_cache
        self._texts: OrderedDict[str, str] = OrderedDict()
        self._texts_generation = -1
        self._seen_generation: int | None = None
        self._exact: ExactVectors | None = None
        self._exact_generation = -1
        self._exact_lock = threading.Lock()

    def document_text(self, source: str) -> str | None:
        """Document text with a small LRU cache: answers quote from the same few documents repeatedly."""
        text = self._texts.get(source)
        if text is None:
            text = self.catalog.document_text(source)
            if text is None:
                return None
            self._texts[source] = text
            if len(self._texts) > 256:
                self._texts.popitem(last=False)
        else:
            self._texts.move_to_end(source)
        return text

    def refresh(self, written_here: bool = False) -> None:
        """Bring the lexical index and the text cache up to the catalog's generation (after ingest or removal); a
        generation this process did not write (`written_here`) means another process changed the store, whose
        vectors are then read afresh."""
        generation = self.catalog.generation
        if generation != self._seen_generation:
            if self._seen_generation is not None and not written_here:
                self.store.reopen()
            self._seen_generation = generation
        self.lexical.ensure_current(generation, self.lexical_rows)
        if generation != self._texts_generation:
            self._texts.clear()
            self._texts_generation = generation

    def dense_search(self, vector: np.ndarray, k: int) -> list[DenseHit]:
        """Nearest chunks by cosine similarity: exactly over all vectors in a store of at most `exact_max_chunks`
        chunks, else through Chroma's approximate index."""
        exact = self.exact_vectors()
        return exact.search(vector, k) if exact is not None else self.store.search(vector, k)

    def stored_vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors by id: from memory when the store is searched exactly, else from Chroma."""
        exact = self.exact_vectors()
        return exact.vectors(chunk_ids) if exact is not None else self.store.vectors(chunk_ids)

    def exact_vectors(self) -> ExactVectors | None:
        """The store's vectors in memory, read once per catalog generation (after an ingest they are read again);
        None for a store too large for it."""
        if not self.exact_max_chunks:
            return None
        generation = self.catalog.generation
        with self._exact_lock:
            if self._exact_generation != generation:
                self._exact = self._cached_vectors(generation)
                if self._exact is None and self.store.count() <= self.exact_max_chunks:
                    self._exact = ExactVectors(*self.store.all_vectors())
                    self._save_vectors(self._exact, generation)
                self._exact_generation = generation
            return self._exact

    def _cache_files(self, generation: int) -> tuple[Path, Path] | None:
        if self.exact_cache is None:
            return None
        key = f"{self.store.collection_name}-{generation}"
        return self.exact_cache / f"vectors-{key}.npy", self.exact_cache / f"ids-{key}.json"

    def _cached_vectors(self, generation: int) -> ExactVectors | None:
        """The vectors saved for this generation by an earlier process: a cold `policyqa ask` maps a file instead
        of reading every vector out of Chroma (0.3 s for 2,316 of them)."""
        files = self._cache_files(generation)
        if files is None or not all(f.is_file() for f in files):
            return None
        try:
            ids = json.loads(files[1].read_text(encoding="utf-8"))
            matrix = np.load(files[0], mmap_mode="r")
        except (OSError, ValueError):
            return None
        return ExactVectors(ids, matrix) if len(ids) == len(matrix) else None

    def _save_vectors(self, exact: ExactVectors, generation: int) -> None:
        """Best effort: a store that cannot be written to is searched all the same."""
        files = self._cache_files(generation)
        if files is None:
            return
        try:
            files[0].parent.mkdir(parents=True, exist_ok=True)
            for old in files[0].parent.glob("*-*.*"):
                old.unlink(missing_ok=True)
            for target, write in ((files[0], lambda f: np.save(f, exact.matrix)),
                                  (files[1], lambda f: f.write(json.dumps(exact.ids).encode()))):
                tmp = target.with_suffix(target.suffix + ".tmp")
                with open(tmp, "wb") as handle:
                    write(handle)
                os.replace(tmp, target)
        except OSError as exc:
            log.debug("could not save the vectors for exact search: %s", exc)

    def retrieve(self, query: str, k: int, lexical_query: str | None = None,
                 named: NamedDocuments | None = None) -> RetrievalResult:
        """The best chunks for a query (`lexical_query`: what BM25 searches, when it differs from the query; `named`:
        the documents the question names, when the caller has read them already)."""
        self.refresh()
        named = NamedDocuments.in_text(query) if named is None else named
        vector = self.embedder.embed_query(query)
        pool = max(self.pool, 3 * k)
        dense = self.dense_search(vector, pool)
        lexical = self.lexical.search(lexical_query or query, pool)
        fused: dict[str, float] = {}
        dense_sim = {hit.chunk_id: hit.similarity for hit in dense}
        lexical_score = {hit.chunk_id: hit.score for hit in lexical}

        def fuse(ranking, weight: float) -> None:
            for rank, hit in enumerate(ranking):
                fused[hit.chunk_id] = fused.get(hit.chunk_id, 0.0) + weight / (RRF_K + rank + 1)
                if isinstance(hit, DenseHit):
                    dense_sim.setdefault(hit.chunk_id, hit.similarity)

        fuse(dense, self.dense_weight)
        fuse(lexical, self.lexical_weight)
        best_similarity = dense[0].similarity if dense else 0.0
        numbered = self._numbered_sources(named.instruments)
        fuse(self._named_ranking(named.dates, vector, pool, best_similarity, numbered), self.dated_weight)
        steered = self._towards(vector, [mention.clause for mention in named.years], query)
        of_years = [self._best_of_year(mention, towards) for mention, towards in zip(named.years, steered)]
        fuse(sorted((hit for _, hits in of_years for hit in hits), key=lambda hit: -hit.similarity), self.dated_weight)
        numbered += [source for source, _ in of_years if source and source not in numbered]
        ranked = sorted(fused, key=lambda cid: -fused[cid])
        stored = self.catalog.chunks(ranked)
        ranked = [cid for cid in ranked if cid in stored][: max(k, 10) + 10]
        missing = [cid for cid in ranked if cid not in dense_sim]
        if missing:
            for cid, vec in self.stored_vectors(missing).items():
                dense_sim[cid] = float(np.dot(vec, vector))
        chunks = [self._retrieved(stored[cid], fused[cid], dense_sim.get(cid), lexical_score.get(cid)) for cid in ranked]
        return RetrievalResult(chunks=[c for c in chunks if c is not None], query_vector=vector,
                               named_sources=tuple(numbered))

    def _numbered_sources(self, mentions: Sequence[tuple[str, str]]) -> list[str]:
        """The documents whose titles hold an order or proclamation number the question names ("EO 14257")."""
        if not mentions:
            return []
        return self.catalog.sources_titled([number for _, number in mentions],
                                           keep=lambda title: any(titles_instrument(title, *m) for m in mentions))

    def _towards(self, vector: np.ndarray, clauses: Sequence[str], query: str) -> list[np.ndarray]:
        """The question's vector moved toward each clause of it (those naming a year): for a question about two
        documents, which document of that year it means is found by both. The clauses are embedded in one call;
        one that is the whole query (no clause break) leaves the vector as it is."""
        own = [clause for clause in dict.fromkeys(clauses) if clause and clause != query]
        embedded = dict(zip(own, self.embedder.embed(own))) if own else {}
        steered = []
        for clause in clauses:
            both = vector + embedded[clause] if clause in embedded else vector
            steered.append(both / np.linalg.norm(both))
        return steered

    def _similar(self, chunk_ids: Sequence[str], vector: np.ndarray) -> list[DenseHit]:
        """The stored chunks with their cosine similarity to `vector`, in stored order."""
        return [DenseHit(cid, float(np.dot(vec, vector))) for cid, vec in self.stored_vectors(chunk_ids).items()]

    def _best_of_year(self, mention: YearMention, vector: np.ndarray,
                      chunks: int = YEAR_CHUNKS) -> tuple[str, list[DenseHit]]:
        """The document dated in the mentioned year (on the date it is part of, if any) that holds the chunk most
        like `vector`, with its `chunks` chunks most like it: for a question about two documents named by year
        ("Truman's 1950 order and his 1951 one"), the document of each year it most likely means. ("", []) for a
        year without documents."""
        sources = self.catalog.sources_dated([mention.like_pattern], YEAR_LIMIT)
        if not sources:
            return "", []
        if self.exact_vectors() is not None:
            source_of = {row.chunk_id: row.source for row in self.catalog.chunks_of_sources(sources)}
            hits = sorted(self._similar(list(source_of), vector), key=lambda hit: -hit.similarity)
        else:
            hits = self.store.search(vector, chunks * 4, sources)
            source_of = {cid: row.source for cid, row in self.catalog.chunks([hit.chunk_id for hit in hits]).items()}
        hits = [hit for hit in hits if hit.chunk_id in source_of]
        if not hits:
            return "", []
        best = source_of[hits[0].chunk_id]
        return best, [hit for hit in hits if source_of[hit.chunk_id] == best][:chunks]

    def _named_ranking(self, mentions: Sequence[DateMention], vector: np.ndarray, pool: int, best_similarity: float,
                       numbered: Sequence[str] = ()) -> list[DenseHit]:
        """A third ranking for questions that name documents: by date ("the March 6, 2025 adjustments") or by
        number ("EO 14257"). It holds the chunks of those documents, by similarity to the question. A date shared
        by more than `dated_limit` documents points at none of them and adds nothing; so do chunks less similar
        than `dated_min_ratio` times the best dense hit, since a user may misremember a date and those documents
        are then about other things."""
        if not self.dated_weight:
            return []
        sources = self.catalog.sources_dated([m.like_pattern for m in mentions], self.dated_limit) if mentions else []
        sources = list(dict.fromkeys([*sources, *numbered]))
        if not sources:
            return []
        ids = [row.chunk_id for row in self.catalog.chunks_of_sources(sources)]
        # the stored vectors are compared here: Chroma's filtered query cost ~50 ms against ~6 ms for this
        hits = self._similar(ids, vector)
        floor = self.dated_min_ratio * best_similarity
        return sorted((hit for hit in hits if hit.similarity >= floor), key=lambda hit: -hit.similarity)[:pool]

    def _retrieved(self, row: StoredChunk, score: float, dense: float | None, lexical: float | None) -> RetrievedChunk | None:
        text = self.document_text(row.source)
        if text is None:
            return None
        title, date = self.catalog.title_date(row.source)
        return RetrievedChunk(
            chunk_id=row.chunk_id, source=row.source, title=title, text=text[row.start : row.end], start=row.start,
            end=row.end, heading=row.heading, page=row.page, date=date, score=score, dense_score=dense, lexical_score=lexical,
        )

    def neighbours(self, top: Sequence[RetrievedChunk], ranked: Sequence[RetrievedChunk], documents: int,
                   named: Sequence[str] = ()) -> list[RetrievedChunk]:
        """The other chunks of the first `documents` documents of `top` and of the `named` documents (those the
        question names by number), in document order (taken from `ranked`, the whole retrieval result, when
        retrieval scored them).

        The sentence that answers is often a few paragraphs away from the passage that matched best (a rate
        stated in the section after the one that names the goods), so the answerer reads those documents whole.
        Chunks that retrieval did not rank carry no scores: the answerer weighs them by their sentences alone.
        """
        sources = read_whole(top, documents, named)
        have = {chunk.chunk_id for chunk in top}
        scored = {chunk.chunk_id: chunk for chunk in ranked}
        extra = []
        for row in self.catalog.chunks_of_sources(sources):
            if row.chunk_id in have:
                continue
            chunk = scored.get(row.chunk_id) or self._retrieved(row, 0.0, None, None)
            if chunk is not None:
                extra.append(chunk)
        return extra

    def chunks_holding(self, places: Sequence[tuple[str, int]], have: set[str]) -> list[RetrievedChunk]:
        """The unscored chunks that hold these (source, character offset) places, except those in `have`."""
        wanted: dict[str, list[int]] = {}
        for source, offset in places:
            wanted.setdefault(source, []).append(offset)
        found = []
        for row in self.catalog.chunks_of_sources(list(wanted)):
            if row.chunk_id not in have and any(row.start <= offset < row.end for offset in wanted[row.source]):
                chunk = self._retrieved(row, 0.0, None, None)
                if chunk is not None:
                    found.append(chunk)
                    have.add(row.chunk_id)
        return found


def read_whole(top: Sequence[RetrievedChunk], documents: int, named: Sequence[str] = ()) -> list[str]:
    """The documents the answerer reads whole: the first `documents` of `top`, then those the question names."""
    return list(dict.fromkeys([*distinct_sources(top)[:documents], *named]))


def distinct_sources(chunks: Sequence[RetrievedChunk]) -> list[str]:
    seen: dict[str, None] = {}
    for chunk in chunks:
        seen.setdefault(chunk.source, None)
    return list(seen)
