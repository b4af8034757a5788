"""Incremental ingestion: files -> Documents -> Chunks -> vectors in Chroma, then the manifest.

Order of writes for every batch: journal the ids about to change, write the new vectors,
commit the manifest, delete the vectors it no longer references, clear the journal. A run
killed at any point leaves a journal whose unreferenced ids the next run deletes, so the
final store equals that of one clean run.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Protocol, Sequence

import numpy as np

from ingest.catalog import Catalog, FileEntry
from ingest.chunking import Chunker
from ingest.loaders import FileLimits, LoadError, iter_files, load_file
from ingest.records import Chunk, Document

log = logging.getLogger(__name__)

FILES_PER_BATCH = 48
CHUNKS_PER_BATCH = 2048
CHUNKING_META = "chunking"  # the catalog meta key of the recipe the stored chunks were made with


class VectorSink(Protocol):
    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None: ...
    def delete(self, chunk_ids: Sequence[str]) -> None: ...
    def vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]: ...


class PassageEmbedder(Protocol):
    def embed_bulk(self, texts: Sequence[str]) -> np.ndarray: ...


def passage_text(title: str, heading: str, text: str) -> str:
    """What gets embedded and lexically indexed for a chunk: its title and heading give look-alike passages their context."""
    head = title[:120]
    if heading:
        head = f"{head} | {heading.rsplit(' > ', 1)[-1]}" if head else heading
    return f"{head}\n{text}" if head else text


def stat_is_regular(stat: os.stat_result) -> bool:
    import stat as stat_module

    return stat_module.S_ISREG(stat.st_mode)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(slots=True)
class FileFailure:
    source: str
    path: str
    reason: str


@dataclass(slots=True)
class IngestReport:
    """What one ingest run did, for the summary line, the UI and the tests."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[FileFailure] = field(default_factory=list)
    chunks_written: int = 0
    chunks_embedded: int = 0
    seconds: float = 0.0

    def summary_line(self) -> str:
        rate = f" ({self.chunks_written / self.seconds:.0f} chunks/s)" if self.chunks_written and self.seconds > 0 else ""
        return (
            f"documents: {len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.removed)} removed, {len(self.failed)} failed; {self.chunks_written} chunks written "
            f"({self.chunks_embedded} embedded) in {self.seconds:.1f}s{rate}"
        )


@dataclass(slots=True)
class _Prepared:
    entry: FileEntry
    status: str
    documents: list[tuple[Document, list[Chunk]]]


def _stderr_error(failure: FileFailure) -> None:
    from tqdm import tqdm

    # tqdm.write clears a progress bar first, so the line and the bar never share a line
    tqdm.write(f"policyqa: skipped {failure.path}: {failure.reason}", file=sys.stderr)


class Ingestor:
    """Runs incremental ingestion into a vector sink and a catalog."""

    def __init__(
        self,
        catalog: Catalog,
        store: VectorSink,
        embedder: PassageEmbedder,
        chunker: Chunker,
        on_error: Callable[[FileFailure], None] = _stderr_error,
        files_per_batch: int = FILES_PER_BATCH,
        limits: FileLimits | None = None,
    ) -> None:
        self.files_per_batch = files_per_batch
        self.limits = limits or FileLimits()
        self.catalog = catalog
        self.store = store
        self.embedder = embedder
        self.chunker = chunker
        self.on_error = on_error
        self._rechunk = False

    def recover(self) -> int:
        """Roll back what an interrupted run wrote to the vector store but never committed."""
        if not self.catalog.has_pending():
            return 0
        orphans = self.catalog.orphaned_pending()
        if orphans:
            self.store.delete(orphans)
            log.warning("finished an interrupted write: deleted %d vectors that no document owns", len(orphans))
        self.catalog.clear_pending()
        return len(orphans)

    def run(
        self,
        paths: Sequence[Path],
        prune: bool = False,
        progress: bool = True,
        on_file: Callable[[str, str], None] | None = None,
        follow_links: bool = False,
    ) -> IngestReport:
        """Ingest files and folders; `on_file(source, status)` reports each file as it is done. A link inside a
        folder to a file outside it is reported and left out unless `follow_links`."""
        started = time.perf_counter()
        report = IngestReport()
        self.recover()
        refreshed = self.catalog.refresh_relations()
        if refreshed:
            log.info("found the relations (amends, revokes, ...) of %d documents ingested before", refreshed)
        known = self.catalog.files()
        recipe = self.chunker.recipe
        if not known:
            # a store's first files are chunked this way: a first run killed half-way is no change of chunking
            self.catalog.set_meta(CHUNKING_META, recipe)
        # files chunked another way (an older version, another chunk size) are chunked again, even if unchanged
        self._rechunk = bool(known) and self.catalog.get_meta(CHUNKING_META) != recipe
        if self._rechunk:
            log.warning("the chunking changed since the last ingest (%s): re-chunking every file, reusing the stored "
                        "vectors of unchanged passages", recipe)
        candidates = list(iter_files([Path(p) for p in paths], follow_links,
                                     on_skip=lambda path, source, reason: self._fail(report, source, path, reason)))
        roots = {str(Path(p).resolve()) for p in paths if Path(p).is_dir()}
        seen: set[str] = set()
        bar = _progress_bar(len(candidates), progress)
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="policyqa-load")
        try:
            batches = self._batches(candidates, known, seen, report, bar, on_file)
            future = pool.submit(next, batches, None)
            while True:
                batch = future.result()
                if batch is None:
                    break
                future = pool.submit(next, batches, None)
                self._write_batch(batch, known, report)
                for prepared in batch:
                    if on_file:
                        on_file(prepared.entry.source, prepared.status)
                bar.update(len(batch))
        finally:
            pool.shutdown(wait=True)
            bar.close()
        if prune:
            gone = [
                source for source, entry in known.items()
                if source not in seen and (entry.root in roots or not Path(entry.path).exists())
            ]
            if gone:
                self.remove(gone)
                report.removed.extend(gone)
        # a run over only some of the files leaves the others to a later one
        if not self._rechunk or set(known) <= seen | set(report.removed):
            self.catalog.set_meta(CHUNKING_META, recipe)
        report.seconds = time.perf_counter() - started
        return report

    def remove(self, file_sources: Sequence[str]) -> list[str]:
        """Delete files' documents and chunks: journal, vector store, then manifest."""
        self.recover()
        run_id = uuid.uuid4().hex
        old_ids = [cid for source in file_sources for cid in self.catalog.chunk_ids_of_file(source)]
        self.catalog.begin_pending(run_id, old_ids)
        self.catalog.remove_files(file_sources)
        self.store.delete(old_ids)
        self.catalog.clear_pending(run_id)
        return list(file_sources)

    def _batches(self, candidates, known, seen, report, bar, on_file) -> Iterator[list[_Prepared]]:
        batch: list[_Prepared] = []
        batch_chunks = 0
        for path, source in candidates:
            seen.add(source)
            prepared = self._prepare(path, source, known.get(source), report)
            if prepared is None:
                bar.update(1)
                if on_file:
                    on_file(source, "failed")
                continue
            if prepared.status == "unchanged":
                report.unchanged.append(source)
                bar.update(1)
                if on_file:
                    on_file(source, "unchanged")
                continue
            batch.append(prepared)
            batch_chunks += sum(len(chunks) for _, chunks in prepared.documents)
            if len(batch) >= self.files_per_batch or batch_chunks >= CHUNKS_PER_BATCH:
                yield batch
                batch, batch_chunks = [], 0
        if batch:
            yield batch

    def _prepare(self, path: Path, source: str, previous: FileEntry | None, report: IngestReport) -> _Prepared | None:
        try:
            stat = path.stat()
            if not stat_is_regular(stat):
                # a FIFO or a device (/dev/zero) would block or never end
                self._fail(report, source, path, "not a regular file (a pipe, device or socket); only files are read")
                return None
            file_hash = file_sha256(path)
        except OSError as exc:
            self._fail(report, source, path, f"cannot read file: {exc.strerror or exc}")
            return None
        resolved = path.resolve()
        entry = FileEntry(source=source, root=_root_of(resolved, source), path=str(resolved), file_hash=file_hash,
                          size=stat.st_size, mtime_ns=stat.st_mtime_ns, ingested_at=time.time())
        same_file = previous is not None and previous.file_hash == file_hash
        if same_file and not self._rechunk:
            return _Prepared(entry, "unchanged", [])
        try:
            documents = load_file(path, source, self.limits)
        except LoadError as exc:
            self._fail(report, source, path, str(exc))
            return None
        chunked = [(doc, self.chunker.chunk(doc)) for doc in documents]
        if not any(chunks for _, chunks in chunked):
            self._fail(report, source, path, "no indexable text")
            return None
        if same_file and {c.chunk_id for _, chunks in chunked for c in chunks} == set(self.catalog.chunk_ids_of_file(source)):
            return _Prepared(entry, "unchanged", [])
        return _Prepared(entry, "updated" if previous is not None else "added", chunked)

    def _fail(self, report: IngestReport, source: str, path: Path, reason: str) -> None:
        failure = FileFailure(source=source, path=str(path), reason=reason)
        report.failed.append(failure)
        self.on_error(failure)

    def _write_batch(self, batch: list[_Prepared], known: dict[str, FileEntry], report: IngestReport) -> None:
        chunks = [chunk for prepared in batch for _, doc_chunks in prepared.documents for chunk in doc_chunks]
        new_ids = {chunk.chunk_id for chunk in chunks}
        old_ids = {cid for prepared in batch if prepared.entry.source in known for cid in self.catalog.chunk_ids_of_file(prepared.entry.source)}
        vectors = self._vectors_for(chunks, old_ids & new_ids, report)
        run_id = uuid.uuid4().hex
        self.catalog.begin_pending(run_id, new_ids | old_ids)
        self.store.upsert(chunks, vectors)
        self.catalog.commit_files([(p.entry, p.documents) for p in batch])
        stale = old_ids - new_ids
        if stale:
            self.store.delete(sorted(stale))
        self.catalog.clear_pending(run_id)
        for prepared in batch:
            (report.added if prepared.status == "added" else report.updated).append(prepared.entry.source)
            known[prepared.entry.source] = prepared.entry
        report.chunks_written += len(chunks)

    def _vectors_for(self, chunks: list[Chunk], reusable_ids: set[str], report: IngestReport) -> np.ndarray:
        """Vectors for a batch: reuse stored ones for unchanged chunks, embed each distinct passage once."""
        reused = self.store.vectors(sorted(reusable_ids)) if reusable_ids else {}
        texts = [passage_text(c.title, c.heading, c.text) for c in chunks]
        todo: dict[str, int] = {}
        for chunk, text in zip(chunks, texts):
            if chunk.chunk_id not in reused and text not in todo:
                todo[text] = len(todo)
        embedded = self.embedder.embed_bulk(list(todo)) if todo else np.zeros((0, 0), dtype=np.float32)
        report.chunks_embedded += len(todo)
        rows = [reused[c.chunk_id] if c.chunk_id in reused else embedded[todo[t]] for c, t in zip(chunks, texts)]
        return np.vstack(rows).astype(np.float32) if rows else np.zeros((0, 0), dtype=np.float32)


def _root_of(path: Path, source: str) -> str:
    """The folder a source is relative to: the file's path less the source's own parts."""
    depth = len(Path(source).parts)
    return str(path.parents[depth - 1]) if depth >= 1 else str(path.parent)


def _progress_bar(total: int, enabled: bool):
    """A tqdm bar on a terminal; where stderr is a file or a pipe (a log), a plain line every LOG_EVERY seconds."""
    from tqdm import tqdm

    if enabled and total and not sys.stderr.isatty():
        return _ProgressLines(total)
    return tqdm(total=total, unit="file", desc="ingest", disable=not enabled or total == 0, file=sys.stderr, leave=False)


class _ProgressLines:
    """Progress for a log: "ingest: 120/6763 files (2%), 35 s, about 31 min left", at most every LOG_EVERY seconds."""

    LOG_EVERY = 10.0

    def __init__(self, total: int) -> None:
        self.total, self.done = total, 0
        self.started = self.last = time.monotonic()

    def update(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if now - self.last >= self.LOG_EVERY and self.done < self.total:
            self.last = now
            elapsed = now - self.started
            left = elapsed / self.done * (self.total - self.done) if self.done else 0.0
            print(f"ingest: {self.done}/{self.total} files ({100 * self.done / self.total:.0f}%), {elapsed:.0f} s, "
                  f"about {_duration(left)} left", file=sys.stderr, flush=True)

    def close(self) -> None:
        pass


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"
