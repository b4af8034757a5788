"""`policyqa check`: does a store's catalog agree with its vectors and its lexical index, and `--repair` when not.

A write that was killed half-way (ingest, remove, prune) leaves a journal that the next write rolls back; a kill
inside Chroma's own write can leave its vector index unreadable ("Failed to apply logs to the hnsw segment
writer"). The check finds both, plus vectors no document owns, chunks with no vector, and a lexical index or
relations table behind the catalog. The repair makes the store what one clean run leaves: it rolls back the
journal, deletes stray vectors, embeds only the chunks that have none, and rebuilds an unreadable vector index from
the vectors still at hand (the exact-search cache), embedding only what is not.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ingest.records import Chunk

if TYPE_CHECKING:
    from assistant.core import Assistant

log = logging.getLogger(__name__)
SHOWN_IDS = 5  # ids listed per kind of problem; the counts are complete


@dataclass(slots=True)
class StoreCheck:
    """What `policyqa check` found (and, with `--repair`, did)."""

    store: str
    documents: int
    chunks: int
    vectors: int | None
    unfinished_run: int = 0  # journal entries of a write that did not finish
    stray_vectors: list[str] = field(default_factory=list)  # vectors no catalog chunk owns
    missing_vectors: list[str] = field(default_factory=list)  # catalog chunks with no vector
    vector_error: str | None = None  # the vector store could not be read
    lexical_behind: bool = False
    relations_behind: bool = False
    repaired: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.unfinished_run or self.stray_vectors or self.missing_vectors or self.vector_error
                    or self.lexical_behind or self.relations_behind)

    def problems(self) -> list[str]:
        found = []
        if self.vector_error:
            found.append(f"the vector store cannot be read: {self.vector_error}")
        if self.unfinished_run:
            found.append(f"an unfinished write left {self.unfinished_run} journal entries to roll back")
        for name, ids in (("vectors no document owns", self.stray_vectors), ("chunks without a vector", self.missing_vectors)):
            if ids:
                found.append(f"{len(ids)} {name} (e.g. {', '.join(ids[:SHOWN_IDS])})")
        if self.lexical_behind:
            found.append("the lexical index is older than the catalog")
        if self.relations_behind:
            found.append("the relations between documents were found by an older version")
        return found

    def to_json(self) -> dict:
        data = asdict(self)
        data["ok"] = self.ok
        data["problems"] = self.problems()
        return data


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:200]}" if text else type(exc).__name__


def inspect_store(assistant: "Assistant") -> StoreCheck:
    """Compare the catalog with the vectors and the lexical index; change nothing."""
    catalog = assistant.catalog
    known = catalog.all_chunk_ids()
    found = StoreCheck(store=str(assistant.store_dir), documents=len(catalog.documents()), chunks=len(known),
                       vectors=None)
    with catalog.lock:
        found.unfinished_run = catalog.conn.execute("SELECT count(*) FROM pending").fetchone()[0]
    try:
        ids = assistant.store.all_ids()
        readable = sorted(ids & known)[:3]
        if readable:  # reading ids can succeed where the index behind them is broken: read vectors and search
            vectors = assistant.store.vectors(readable)
            assistant.store.search(next(iter(vectors.values())), 1)
    except Exception as exc:  # Chroma raises many types for a damaged segment
        found.vector_error = _first_line(exc)
        return found
    found.vectors = len(ids)
    found.stray_vectors = sorted(ids - known)
    found.missing_vectors = sorted(known - ids)
    found.lexical_behind = assistant.lexical.stored_generation() != catalog.generation
    found.relations_behind = bool(known) and catalog.relations_behind()
    return found


def _catalog_chunks(assistant: "Assistant", chunk_ids: set[str]) -> list[Chunk]:
    """The chunks with these ids, rebuilt from the catalog (their text is the document's slice)."""
    catalog = assistant.catalog
    chunks = []
    rows = catalog.chunks(chunk_ids)
    by_source: dict[str, list] = {}
    for row in rows.values():
        by_source.setdefault(row.source, []).append(row)
    for source, source_rows in by_source.items():
        text = catalog.document_text(source) or ""
        title, date = catalog.title_date(source)
        for row in source_rows:
            chunks.append(Chunk(row.chunk_id, source, text[row.start:row.end], row.start, row.end, row.heading,
                                row.page, title, date))
    return chunks


def _cached_vectors(assistant: "Assistant") -> dict[str, np.ndarray]:
    """Vectors kept beside the store for exact search (any generation: a chunk id fixes its text, so its vector)."""
    import json

    found: dict[str, np.ndarray] = {}
    directory = assistant.store_dir / "exact"
    for ids_file in sorted(directory.glob(f"ids-{assistant.store.collection_name}-*.json")):
        matrix_file = directory / ids_file.name.replace("ids-", "vectors-").replace(".json", ".npy")
        try:
            ids = json.loads(ids_file.read_text(encoding="utf-8"))
            matrix = np.load(matrix_file)
        except (OSError, ValueError):
            continue
        if len(ids) == len(matrix):
            found.update(zip(ids, np.asarray(matrix, dtype=np.float32)))
    return found


def _write_vectors(assistant: "Assistant", chunks: list[Chunk], have: dict[str, np.ndarray]) -> int:
    """Upsert the chunks, embedding those without a vector at hand; returns how many were embedded."""
    from ingest.pipeline import passage_text

    todo = [c for c in chunks if c.chunk_id not in have]
    if todo:
        assistant.embedder.prepare_fast_path()
        embedded = assistant.embedder.embed_bulk([passage_text(c.title, c.heading, c.text) for c in todo])
        have = {**have, **{c.chunk_id: v for c, v in zip(todo, embedded)}}
    if chunks:
        assistant.store.upsert(chunks, np.vstack([have[c.chunk_id] for c in chunks]).astype(np.float32))
    return len(todo)


def repair_store(assistant: "Assistant", wait: bool = True) -> StoreCheck:
    """Make the store agree with its catalog, holding the store's write lock; returns the check after the repair,
    with what was done in `repaired`."""
    from ingest.lock import store_write_lock

    done: list[str] = []
    with store_write_lock(assistant.store_dir, "policyqa check --repair", wait=wait):
        catalog = assistant.catalog
        found = inspect_store(assistant)
        if found.vector_error:
            known = catalog.all_chunk_ids()
            at_hand = {k: v for k, v in _cached_vectors(assistant).items() if k in known}
            _reset_vectors(assistant, done)
            embedded = _write_vectors(assistant, _catalog_chunks(assistant, known), at_hand)
            done.append(f"rebuilt the vector store: {len(known)} chunks, {len(known) - embedded} from the vectors at "
                        f"hand, {embedded} embedded again")
            with catalog.transaction() as conn:
                conn.execute("DELETE FROM pending")
            found = inspect_store(assistant)
        if found.unfinished_run:
            rolled_back = assistant.ingestor().recover()
            done.append(f"rolled back an unfinished write ({rolled_back} vectors it had added deleted)")
            found = inspect_store(assistant)
        if found.stray_vectors:
            assistant.store.delete(found.stray_vectors)
            done.append(f"deleted {len(found.stray_vectors)} vectors no document owns")
        if found.missing_vectors:
            embedded = _write_vectors(assistant, _catalog_chunks(assistant, set(found.missing_vectors)), {})
            done.append(f"embedded {embedded} chunks that had no vector")
        if found.relations_behind and catalog.refresh_relations():
            done.append("found the relations between documents again")
        if found.lexical_behind or found.stray_vectors or found.missing_vectors or found.vector_error:
            assistant.lexical.build(catalog.chunk_rows(), catalog.generation)
            done.append("rebuilt the lexical index")
        if done:
            # the next reader must see a new generation: its cached vectors and lexical index are stale
            catalog.bump_generation()
            assistant.lexical.build(catalog.chunk_rows(), catalog.generation)
    after = inspect_store(assistant)
    after.repaired = done
    return after


def _reset_vectors(assistant: "Assistant", done: list[str]) -> None:
    """An empty vector store in place of an unreadable one: the collection dropped, or for an embedded store whose
    files cannot even be opened, the folder moved aside (kept, not deleted)."""
    store = assistant.store
    try:
        store.client.delete_collection(store.collection_name)
        store.reopen()
        store.count()
        return
    except Exception as exc:
        if store.url:
            raise
        log.warning("dropping the collection failed (%s); moving the Chroma folder aside", _first_line(exc))
    aside = store.persist_dir.with_name(f"{store.persist_dir.name}.broken-{time.strftime('%Y%m%d-%H%M%S')}")
    store.reopen()
    store.persist_dir.rename(aside)
    done.append(f"moved the unreadable Chroma folder to {aside}")
    store.reopen()
