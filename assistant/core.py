"""The composition root: `build_assistant(settings)` wires every part; the CLI, the UI and the tests use it."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import replace
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

from assistant.answers import Answer, Turn
from assistant.conversation import standalone_query
from assistant.settings import Settings
from ingest.catalog import Catalog, DocumentInfo

if TYPE_CHECKING:
    from ingest.pipeline import FileFailure, IngestReport, Ingestor
    from vectorstore.hits import RetrievedChunk

CATALOG_FILE = "catalog.sqlite3"
# a document found by one part of a question alone is read when one of its passages is at least this similar to the
# whole question, relative to the best passage the whole question found, or at least PART_CLOSE_SIMILARITY (cosine,
# of the bundled model) to the part itself (both tuned on the dev and held-out questions)
PART_MIN_SIMILARITY = 0.75
PART_CLOSE_SIMILARITY = 0.6
# how deep a part's own search looks for documents the whole question did not find
PART_DEPTH = 10
log = logging.getLogger(__name__)


class StoreMismatchError(RuntimeError):
    """The store was built with another embedding model than the one configured."""


class Assistant:
    """Ingest, ask, list and remove: the product's whole surface. Heavy parts load on first use."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store_dir = settings.store_dir
        self._location_checked = False

    # parts, each built once on first use ------------------------------------
    @cached_property
    def catalog(self) -> Catalog:
        return Catalog(self.store_dir / CATALOG_FILE)

    @cached_property
    def embedder(self):
        from vectorstore.embeddings import Embedder

        return Embedder(self.settings.embedding_model, self.settings.embedding_dtype,
                        self.settings.embedding_batch_size, self.settings.embedding_backend)

    @cached_property
    def store(self):
        from vectorstore.chroma_store import ChromaStore

        return ChromaStore(self.store_dir / "chroma", self.settings.collection, self.settings.chroma_url)

    @cached_property
    def chunker(self):
        from ingest.chunking import Chunker

        max_tokens = self.embedder.max_tokens - 2
        return Chunker(self.embedder.count_tokens, self.settings.chunk_tokens, max_tokens)

    @cached_property
    def lexical(self):
        from vectorstore.lexical import LexicalIndex

        return LexicalIndex(self.store_dir / "lexical")

    @cached_property
    def retriever(self):
        from vectorstore.retrieval import HybridRetriever

        return HybridRetriever(self.catalog, self.store, self.embedder, self.lexical, self.catalog.chunk_rows,
                               exact_max_chunks=self.settings.exact_search_max_chunks,
                               exact_cache=self.store_dir / "exact")

    @cached_property
    def extractive(self):
        from assistant.extractive import ExtractiveAnswerer, ExtractiveConfig

        config = ExtractiveConfig()
        if self.settings.refusal_threshold is not None:
            config.refusal_threshold = self.settings.refusal_threshold
        return ExtractiveAnswerer(
            embed=self.embedder.embed,
            document_text=self.retriever.document_text,
            idf=self.lexical.idf,
            is_boilerplate=self.lexical.is_boilerplate,
            config=config,
            mentioned=self.lexical.mentions,
        )

    @cached_property
    def reader(self):
        """The trained reader's answerer (`reader = "trained"`)."""
        from assistant.reader import ReaderAnswerer

        return ReaderAnswerer(self.extractive, self.lexical.idf, self.lexical.is_boilerplate, self.retriever.document_text,
                              refusal_threshold=self.settings.refusal_threshold)

    # ingest -------------------------------------------------------------------
    def _check_model(self) -> None:
        model = self.embedder.model_name if self.settings.embedding_model else "bundled:all-MiniLM-L6-v2"
        stored = self.catalog.get_meta("embedding_model")
        if stored is None:
            self.catalog.set_meta("embedding_model", model)
        elif stored != model:
            raise StoreMismatchError(
                f"the store at {self.store_dir} was built with embedding model {stored!r}, not {model!r}; "
                "use another --store or set POLICYQA_EMBEDDING_MODEL back"
            )

    def _check_vector_location(self, move: bool) -> None:
        """Make sure the configured Chroma (embedded or a server) is where this store's vectors are.

        On ingest (`move=True`) a changed location moves the vectors there, copied without re-embedding;
        on ask a mismatch is an error, since the configured collection would be empty.
        """
        here = self.store.location
        recorded = self.catalog.get_meta("vector_location")
        if recorded == here:
            return
        if recorded is None or not self.catalog.documents():
            if move:
                self.catalog.set_meta("vector_location", here)
            return
        describe = lambda where: "the embedded Chroma of the store" if where == "embedded" else f"the Chroma server {where}"  # noqa: E731
        if not move:
            fix = "drop --chroma-url / POLICYQA_CHROMA_URL" if recorded == "embedded" else f"pass --chroma-url {recorded}"
            raise StoreMismatchError(
                f"the vectors of the store at {self.store_dir} are in {describe(recorded)}, not {describe(here)}; "
                f"{fix}, or run `policyqa ingest` with the new setting to move them"
            )
        from vectorstore.chroma_store import ChromaStore

        previous = ChromaStore(self.store_dir / "chroma", self.settings.collection, None if recorded == "embedded" else recorded)
        copied = self.store.copy_from(previous)
        expected = len(self.catalog.all_chunk_ids())
        if self.store.count() < expected:
            raise StoreMismatchError(f"moved {copied} vectors to {describe(here)} but the store has {expected} chunks; "
                                     "the move is incomplete, run the ingest again")
        self.catalog.set_meta("vector_location", here)
        log.warning("moved %d vectors from %s to %s", copied, describe(recorded), describe(here))

    def ingestor(self, on_error: Callable[[FileFailure], None] | None = None) -> Ingestor:
        from ingest.pipeline import Ingestor

        kwargs = {"on_error": on_error} if on_error else {}
        return Ingestor(self.catalog, self.store, self.embedder, self.chunker,
                        files_per_batch=self.settings.ingest_batch_files, **kwargs)

    def ingest(
        self,
        paths: Sequence[Path],
        prune: bool = False,
        progress: bool = True,
        on_file: Callable[[str, str], None] | None = None,
        on_error: Callable[[FileFailure], None] | None = None,
    ) -> IngestReport:
        """Ingest files and folders incrementally, then bring the lexical index up to date."""
        self._check_model()
        self._check_vector_location(move=True)
        self.embedder.prepare_fast_path()
        report = self.ingestor(on_error).run(paths, prune=prune, progress=progress, on_file=on_file)
        self.retriever.refresh()
        return report

    def remove(self, sources: Sequence[str]) -> tuple[list[str], list[str]]:
        """Remove documents (by document or file source); returns (removed, unknown)."""
        self._check_vector_location(move=False)
        files, unknown = [], []
        for source in sources:
            file_source = self.catalog.file_of(source)
            (files if file_source else unknown).append(file_source or source)
        removed = self.ingestor().remove(sorted(set(files))) if files else []
        self.retriever.refresh()
        return removed, unknown

    def documents(self) -> list[DocumentInfo]:
        return self.catalog.documents()

    def document_text(self, source: str) -> str | None:
        return self.catalog.document_text(source)

    def ingested_roots(self) -> list[str]:
        """Folders that were ingested, for `re-ingest` in the UI."""
        return sorted({entry.root for entry in self.catalog.files().values()})

    # ask ----------------------------------------------------------------------
    @cached_property
    def llm_answerer(self):
        """The language-model answerer, when one is configured (`--llm` / POLICYQA_LLM)."""
        from assistant.llm import build_llm_answerer

        return build_llm_answerer(self.settings, self)

    def _prepare(self, question: str, history: Sequence[Turn | dict], k: int | None, use_llm: bool = False):
        turns = [t if isinstance(t, Turn) else Turn.from_dict(t) for t in history]
        question = question.strip()
        if not question:
            raise ValueError("the question is empty")
        k = k or self.settings.top_k
        if not self._location_checked:
            self._check_vector_location(move=False)
            self._location_checked = True
        query = standalone_query(question, turns)
        if use_llm and query.is_follow_up:
            rewritten = self.llm_answerer.rewrite_question(question, turns)
            if rewritten and rewritten != question:
                query.dense_query = rewritten
                query.lexical_query = f"{rewritten} {query.lexical_query}"
        result = self.retriever.retrieve(query.dense_query, k, lexical_query=query.lexical_query)
        return question, turns, query, result, result.chunks[:k]

    def _use_llm(self, mode: str | None) -> bool:
        mode = mode or self.settings.answer_mode
        return mode == "llm" and bool(self.settings.llm)

    def ask(self, question: str, history: Sequence[Turn | dict] = (), k: int | None = None, mode: str | None = None) -> Answer:
        """Answer a question (with the conversation so far) from the ingested documents."""
        answer: Answer | None = None
        for event in self.stream(question, history, k, mode):
            if isinstance(event, Answer):
                answer = event
        assert answer is not None
        return answer

    def stream(
        self, question: str, history: Sequence[Turn | dict] = (), k: int | None = None, mode: str | None = None
    ) -> Iterator[str | Answer]:
        """Yield the answer text as it is produced, then the finished Answer (always last)."""
        started = time.perf_counter()
        use_llm = self._use_llm(mode)
        question, turns, query, result, top = self._prepare(question, history, k, use_llm)
        answer = None
        for event in self._answer_events(question, turns, query, result, top, use_llm):
            if isinstance(event, Answer):
                answer = event
            else:
                yield event
        answer.latency_ms = (time.perf_counter() - started) * 1000
        yield answer

    def _answer_events(self, question, turns, query, result, top, use_llm: bool) -> Iterator[str | Answer]:
        """The answering step after retrieval: text pieces, then the Answer with its retrieval attached."""
        def extractive() -> Answer:
            passages, part_sources = self.passages_to_read(question, query, result, top)
            if self.settings.reader == "trained":
                return self.reader.answer(question, query, passages)
            return self.extractive.answer(question, passages, result.query_vector, query.context_terms,
                                          earlier_question=query.earlier_question, earlier_answer=query.earlier_answer,
                                          part_sources=part_sources)

        if use_llm:
            answer = None
            for event in self.llm_answerer.stream(question, turns, top, result.query_vector, fallback=extractive):
                if isinstance(event, Answer):
                    answer = event
                else:
                    yield event
        else:
            answer = extractive()
            yield from _pieces(answer.answer)
        answer.retrieved = result.chunks
        answer.standalone_question = query.dense_query if query.is_follow_up else None
        yield answer

    def passages_to_read(self, question: str, query, result, top: Sequence[RetrievedChunk]
                         ) -> tuple[list[RetrievedChunk], dict[str, list[str]]]:
        """What the answerer reads: the retrieved passages, the rest of the best documents, and what each part of a
        several-part question finds alone (with, for each part, the documents it found)."""
        passages = list(top) + self.retriever.neighbours(top, result.chunks, self.settings.expand_documents,
                                                         result.named_sources)
        part_passages, part_sources = self._parts_retrieved(question, query, passages, result.query_vector)
        return passages + part_passages, part_sources

    def prepare(self, question: str, history: Sequence[Turn | dict] = ()):
        """(question, turns, standalone query, retrieval result, top passages) for a question: the first step of
        `ask`, public for the reader's training script."""
        return self._prepare(question, history, None)

    def _parts_retrieved(self, question: str, query, passages: Sequence[RetrievedChunk], query_vector
                         ) -> tuple[list[RetrievedChunk], dict[str, list[str]]]:
        """For a question in several parts, the passages that each part, searched alone, finds in documents the
        whole question did not, and for each part those documents.

        "Which 2025 order revoked the COVID-19 vaccination requirement for federal employees, and how long did the
        February order on school COVID mandates give the Education Secretary …?" retrieves the February order's
        passages first; its first part alone finds the January order. A follow-up is searched as a whole: its
        parts lean on the conversation. The passages carry their similarity to the whole question."""
        from assistant.extractive import asking_parts
        from vectorstore.lexical import tokenize

        parts = asking_parts(question)
        per_part = self.settings.part_passages
        if query.is_follow_up or not parts or not per_part:
            return [], {}
        have = {chunk.source for chunk in passages}
        found: dict[str, RetrievedChunk] = {}
        sources: dict[str, list[str]] = {}
        parts = [part for part in parts if len(set(tokenize(part))) > 1]
        for part, vector in zip(parts, self.extractive.vectors(parts) if parts else ()):
            hits = self.retriever.retrieve(part, PART_DEPTH, vector=vector).chunks[:PART_DEPTH]
            new = [c for c in hits if c.source not in have][:per_part]
            for chunk in new:
                found.setdefault(chunk.chunk_id, chunk)
            if new:
                sources[part] = list(dict.fromkeys(chunk.source for chunk in new))
        if not found:
            return [], {}
        vectors = self.retriever.stored_vectors(list(found))
        extra = [replace(chunk, dense_score=float(vectors[cid] @ query_vector) if cid in vectors else None)
                 for cid, chunk in found.items()]
        # a part that leans on the rest of the question ("how many years back does it cover?") finds documents
        # about something else: a document is kept when a passage of it is nearly as close to the whole question
        best = max(((chunk.dense_score or 0.0) for chunk in passages), default=0.0)
        kept = {chunk.source for chunk in extra if (chunk.dense_score or 0.0) >= PART_MIN_SIMILARITY * best}
        # … unless the part alone matches it closely ("which official was ordered to eliminate the Federal
        # Executive Institute?" beside a question on another order)
        kept |= {chunk.source for chunk in found.values() if (chunk.dense_score or 0.0) >= PART_CLOSE_SIMILARITY}
        sources = {part: [s for s in found_in if s in kept] for part, found_in in sources.items()}
        extra = [chunk for chunk in extra if chunk.source in kept]
        # such a document is read whole: the part's answer is often a paragraph away from what matched
        extra += self.retriever.neighbours(extra, extra, len(kept))
        return extra, {part: s for part, s in sources.items() if s}

    def _answer(self, question, turns, query, result, top, use_llm: bool) -> Answer:
        return [e for e in self._answer_events(question, turns, query, result, top, use_llm) if isinstance(e, Answer)][-1]

    @cached_property
    def chain(self):
        """The same pipeline as an LCEL Runnable (see assistant/chain.py)."""
        from assistant.chain import build_chain

        return build_chain(self)

    @cached_property
    def langchain_retriever(self):
        from assistant.chain import PolicyRetriever

        return PolicyRetriever(assistant=self, k=self.settings.top_k)

    def open_store_in_background(self) -> None:
        """Open Chroma and load its vector index on another thread while the model loads: a one-shot
        `policyqa ask` then waits for the slower of the two instead of both in turn."""

        def open_store() -> None:
            try:
                if self.retriever.exact_vectors() is None:  # a store searched exactly never needs Chroma's index
                    self.store.warm()
            except Exception:  # the question's own search reports any problem
                log.debug("opening the store in the background failed", exc_info=True)

        threading.Thread(target=open_store, name="policyqa-open-store", daemon=True).start()

    def warm_up(self) -> None:
        """Load the model, the store and the lexical index now rather than on the first question."""
        self.retriever.refresh()
        self.embedder.embed(["warm up"])
        self.store.count()
        self.retriever.exact_vectors()

    def close(self) -> None:
        if "catalog" in self.__dict__:
            self.catalog.close()


def _pieces(text: str, size: int = 3) -> Iterator[str]:
    """Split finished text into small runs of words, so the UI shows it streaming in."""
    words = text.split(" ")
    for index in range(0, len(words), size):
        yield " ".join(words[index : index + size]) + (" " if index + size < len(words) else "")


def build_assistant(settings: Settings) -> Assistant:
    """The one place where the parts are put together."""
    return Assistant(settings)
