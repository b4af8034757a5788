"""The composition root: `build_assistant(settings)` wires every part; the CLI, the UI and the tests use it."""

from __future__ import annotations

import logging
import threading
import time
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, Sequence

from assistant.answers import Answer, Turn
from assistant.extractive import refusal
from assistant.history import DocumentHistory, in_force
from assistant.analysis import QuestionAnalysis, analyze
from assistant.settings import TOP_K_MAX, Settings
from ingest.catalog import Catalog, DocumentInfo

if TYPE_CHECKING:
    from ingest.pipeline import FileFailure, IngestReport, Ingestor
    from vectorstore.hits import RetrievedChunk
    from vectorstore.retrieval import RetrievalResult

CATALOG_FILE = "catalog.sqlite3"
STORE_CHANGED_RETRIES = 4  # a question that meets another process's write reads the store again, this often
LATER_CHANGES_READ = 3  # per document read whole: the newest sentences of later documents that changed it
FEEDBACK_FILE = "feedback.jsonl"
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
    def candidate_finder(self):
        from assistant.extractive import CandidateFinder

        return CandidateFinder(self.retriever.document_text)

    @cached_property
    def reader(self):
        """The trained reader's answerer: it picks the candidate sentences to quote, or refuses."""
        from assistant.reader import ReaderAnswerer

        return ReaderAnswerer(self.candidate_finder, self.lexical.idf, self.lexical.is_boilerplate,
                              self.retriever.document_text, refusal_threshold=self.settings.refusal_threshold)

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

    def _check_chunking(self) -> None:
        """Say once when the store's passages were cut by an older chunker: answers miss what a newer one keeps (the
        text of a section printed on its heading line, for one), until the next ingest re-chunks the files."""
        from ingest.chunking import made_by_older_code
        from ingest.pipeline import CHUNKING_META

        recipe = self.catalog.get_meta(CHUNKING_META)
        if recipe and made_by_older_code(recipe):
            log.warning("the store at %s was chunked by an older version of policyqa (%s); run `policyqa ingest` "
                        "on its folders again to re-chunk it (unchanged passages keep their vectors)",
                        self.store_dir, recipe.split()[0])

    def ingestor(self, on_error: Callable[[FileFailure], None] | None = None) -> Ingestor:
        from ingest.pipeline import Ingestor

        from ingest.loaders import FileLimits

        kwargs = {"on_error": on_error} if on_error else {}
        limits = FileLimits(self.settings.max_file_mb, self.settings.max_unpacked_mb, self.settings.max_records,
                            self.settings.max_chars)
        return Ingestor(self.catalog, self.store, self.embedder, self.chunker,
                        files_per_batch=self.settings.ingest_batch_files, limits=limits, **kwargs)

    def ingest(
        self,
        paths: Sequence[Path],
        prune: bool = False,
        progress: bool = True,
        on_file: Callable[[str, str], None] | None = None,
        on_error: Callable[[FileFailure], None] | None = None,
        follow_links: bool = False,
        wait: bool = True,
    ) -> IngestReport:
        """Ingest files and folders incrementally, then bring the lexical index up to date. One writer at a time:
        while another holds the store this waits, or with `wait=False` raises StoreBusyError."""
        from ingest.lock import store_write_lock

        with store_write_lock(self.store_dir, "policyqa ingest", wait=wait):
            self._check_model()
            self._check_vector_location(move=True)
            self.embedder.prepare_fast_path()
            report = self.ingestor(on_error).run(paths, prune=prune, progress=progress, on_file=on_file,
                                                 follow_links=follow_links)
            self.retriever.refresh(written_here=True)
        return report

    def remove(self, sources: Sequence[str], wait: bool = True) -> tuple[list[str], list[str]]:
        """Remove documents (by document or file source); returns (removed, unknown). One writer at a time, as
        for `ingest`."""
        from ingest.lock import store_write_lock

        with store_write_lock(self.store_dir, "policyqa remove", wait=wait):
            self._check_vector_location(move=False)
            ingestor = self.ingestor()
            ingestor.recover()  # a remove killed after its catalog commit left vectors to delete
            files, unknown = [], []
            for source in sources:
                file_source = self.catalog.file_of(source)
                (files if file_source else unknown).append(file_source or source)
            removed = ingestor.remove(sorted(set(files))) if files else []
            self.retriever.refresh(written_here=True)
        return removed, unknown

    def check(self, repair: bool = False, wait: bool = True):
        """Whether catalog, vectors and lexical index agree (`assistant.store_check`); with `repair`, make them."""
        from assistant.store_check import inspect_store, repair_store

        return repair_store(self, wait=wait) if repair else inspect_store(self)

    def documents(self) -> list[DocumentInfo]:
        return self.catalog.documents()

    def document_text(self, source: str) -> str | None:
        return self.catalog.document_text(source)

    def record_feedback(self, answer: Answer, history: Sequence[dict], liked: bool) -> Path:
        """Append a reader's verdict on an answer to the store's `feedback.jsonl`, as a line that `policyqa eval`
        reads as a question: a liked answer's quotes become its evidence (a refusal liked: a question the
        documents do not answer), so the set checks that they are found again; a disliked answer has no gold and
        keeps what was answered, for review."""
        import hashlib
        import json

        stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
        # the clock to the nanosecond in the id: two verdicts on one answer are two questions, never a duplicate id
        digest = hashlib.sha256(f"{time.time_ns()} {liked} {answer.question}".encode()).hexdigest()[:12]
        record: dict = {"id": f"feedback-{digest}",
                        "question": answer.question, "history": list(history), "verdict": "up" if liked else "down",
                        "time": stamp, "type": "feedback-liked" if liked else "feedback-disliked"}
        if liked:
            record["answer"] = answer.answer
            record["evidence"] = [{"doc": c.source, "quote": c.quote} for c in answer.citations]
        else:
            record["rejected_answer"] = answer.answer
            record["rejected_citations"] = [{"doc": c.source, "quote": c.quote} for c in answer.citations]
        path = self.store_dir / FEEDBACK_FILE
        with open(path, "a", encoding="utf-8") as handle:  # one write per line: concurrent sessions never interleave
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        return path

    def original_file(self, source: str) -> Path | None:
        """The file a document was ingested from, while it is still where it was."""
        file_source = self.catalog.file_of(source)
        entry = self.catalog.files().get(file_source) if file_source else None
        path = Path(entry.path) if entry else None
        return path if path is not None and path.is_file() else None

    def ingested_roots(self) -> list[str]:
        """Folders that were ingested, for `re-ingest` in the UI."""
        return sorted({entry.root for entry in self.catalog.files().values()})

    # ask ----------------------------------------------------------------------
    @cached_property
    def llm_answerer(self):
        """The language-model answerer, when one is configured (`--llm` / POLICYQA_LLM)."""
        from assistant.llm import build_llm_answerer

        return build_llm_answerer(self.settings, self)

    def analyze(self, question: str, history: Sequence[Turn | dict] = (), mode: str | None = None) -> QuestionAnalysis:
        """Step 1: read the question once (`assistant.analysis`); with a language model answering, a follow-up is
        searched as the model rewrites it."""
        analysis = analyze(question, history)
        if self._use_llm(mode) and analysis.is_follow_up:
            rewritten = self.llm_answerer.rewrite_question(analysis.question, list(analysis.history))
            if rewritten and rewritten != analysis.question:
                analysis = analysis.searching(rewritten)
        return analysis

    def retrieve(self, analysis: QuestionAnalysis, k: int | None = None) -> RetrievalResult:
        """Step 2: the passages for the analysed question, best first (hybrid dense + BM25, plus the documents it
        names)."""
        if k is not None and not 1 <= k <= TOP_K_MAX:
            raise ValueError(f"top_k must be between 1 and {TOP_K_MAX}, not {k}")
        if not self._location_checked:
            self._check_vector_location(move=False)
            self._check_chunking()
            self._location_checked = True
        for attempt in range(1, STORE_CHANGED_RETRIES + 1):
            try:
                return self.retriever.retrieve(analysis.dense_query, k or self.settings.top_k,
                                               lexical_query=analysis.lexical_query, named=analysis.named)
            except Exception as exc:
                # another process wrote the embedded store while this question read it ("Error finding id"): read
                # it again as that process leaves it
                if attempt == STORE_CHANGED_RETRIES or type(exc).__name__ != "InternalError" or self.settings.chroma_url:
                    raise
                log.info("the store changed while a question read it (%s); reading it again", exc)
                time.sleep(0.25 * attempt)
                self.store.reopen()
        raise AssertionError("unreachable")

    def answer_events(self, analysis: QuestionAnalysis, result: RetrievalResult, k: int | None = None,
                      mode: str | None = None) -> Iterator[str | Answer]:
        """Step 3: answer from the top `k` passages: text pieces as they are produced, then the Answer (always
        last), with its retrieval attached."""
        top = result.chunks[: k or self.settings.top_k]
        if not top and not self.catalog.documents():
            answer = refusal(analysis.question, (), f"The store at {self.store_dir} holds no documents yet: add some "
                             f"with `policyqa ingest FOLDER --store {self.store_dir}` (or in the chat's Document "
                             "library tab), then ask again.")
            yield from _pieces(answer.answer)
            answer.standalone_question = analysis.standalone_question
            yield answer
            return

        def extractive() -> Answer:
            return self.reader.answer(analysis, self.passages_to_read(result, top, analysis.about_two_documents,
                                                                      analysis.as_of))

        if self._use_llm(mode):
            answer = None
            for event in self.llm_answerer.stream(analysis.question, list(analysis.history), top, result.query_vector,
                                                  fallback=extractive):
                if isinstance(event, Answer):
                    answer = event
                else:
                    yield event
            answer = self.history.annotate(answer, analysis.as_of)
        else:
            answer = self.history.answer_from_relations(analysis.question, analysis.named.instruments, analysis.as_of)
            if answer is None:
                answer = extractive()
                if analysis.asks_which_document:
                    answer = self.history.name_quoted(answer)
                answer = self.history.annotate(answer, analysis.as_of)
            yield from _pieces(answer.answer)
        answer.retrieved = result.chunks
        answer.standalone_question = analysis.standalone_question
        yield answer

    def answer(self, analysis: QuestionAnalysis, result: RetrievalResult, k: int | None = None,
               mode: str | None = None) -> Answer:
        """Step 3, without streaming."""
        return [e for e in self.answer_events(analysis, result, k, mode) if isinstance(e, Answer)][-1]

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
        analysis = self.analyze(question, history, mode)
        result = self.retrieve(analysis, k)
        answer = None
        for event in self.answer_events(analysis, result, k, mode):
            if isinstance(event, Answer):
                answer = event
            else:
                yield event
        answer.latency_ms = (time.perf_counter() - started) * 1000
        yield answer

    def passages_to_read(self, result: RetrievalResult, top: Sequence[RetrievedChunk],
                         about_two_documents: bool = False, as_of: str | None = None) -> list[RetrievedChunk]:
        """What the reader reads: the retrieved passages, the rest of the best documents (reading the best one
        whole keeps 4 validation questions from false refusals: 0.064 -> 0.053), and the sentences of later
        documents that changed those (so "what applied after ..." can be answered from the amendment: time
        validation keyword accuracy 0.500 -> 0.528, no change on the reader's validation). For a question about two
        documents the best two are read whole (two-document validation keyword accuracy 0.179 -> 0.214), unless
        reading whole is off (`expand_documents` 0).

        A question about the state of things on a date (`as_of`) reads the documents in force then: none issued
        later (while any passage is left), and only the changes made by that date."""
        from assistant.reader import TWO_DOCUMENTS
        from vectorstore.retrieval import read_whole

        dates: dict[str, str | None] = {}

        def issued_by_then(chunk: RetrievedChunk) -> bool:
            if chunk.source not in dates:
                dates[chunk.source] = self.catalog.title_date(chunk.source)[1]
            return not dates[chunk.source] or dates[chunk.source] <= as_of

        if as_of:
            top = [c for c in top if issued_by_then(c)] or list(top)
        whole = self.settings.expand_documents
        if about_two_documents and whole:
            whole = max(whole, TWO_DOCUMENTS)
        passages = list(top) + self.retriever.neighbours(top, result.chunks, whole, result.named_sources)
        if as_of:
            passages = [c for c in passages if issued_by_then(c)] or passages
        places = [(change.acting_source, change.start)
                  for source in read_whole(top, whole, result.named_sources)
                  for change in [c for c in self.history.later_changes(source) if in_force(c, as_of)][:LATER_CHANGES_READ]]
        return passages + self.retriever.chunks_holding(places, {p.chunk_id for p in passages})

    @cached_property
    def history(self) -> DocumentHistory:
        """What documents do to each other: timelines for `policyqa history` and later changes for answers."""
        return DocumentHistory(self.catalog)

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
