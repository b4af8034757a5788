"""The ingest manifest and document store, in one SQLite file inside the store folder.

It records, per ingested file, its content hash and the documents and chunk ids it produced,
and keeps each document's text so citations can be checked and shown in context. A journal of
pending writes lets a crashed run be rolled back: the vector store is written first, the
manifest last, and ids written by an unfinished run are deleted on the next start.
"""

from __future__ import annotations

import functools
import json
import re
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from ingest.records import Chunk, Document, PageSpan
from ingest.relations import RELATIONS_VERSION, Relation, extract_relations, own_identifier

RELATIONS_META = "relations"  # the meta key of the extractor version the stored relations were found with

_SCHEMA = """
CREATE TABLE IF NOT EXISTS files (
    source TEXT PRIMARY KEY, root TEXT NOT NULL, path TEXT NOT NULL, file_hash TEXT NOT NULL,
    size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ingested_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS documents (
    source TEXT PRIMARY KEY, file_source TEXT NOT NULL, title TEXT NOT NULL, date TEXT, url TEXT,
    doc_type TEXT NOT NULL, content_hash TEXT NOT NULL, text TEXT NOT NULL, pages TEXT NOT NULL,
    n_chunks INTEGER NOT NULL, ingested_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_by_file ON documents(file_source);
CREATE INDEX IF NOT EXISTS documents_by_date ON documents(date, source);
CREATE INDEX IF NOT EXISTS documents_by_title ON documents(title, source);
CREATE TABLE IF NOT EXISTS chunks (
    chunk_id TEXT PRIMARY KEY, source TEXT NOT NULL, ord INTEGER NOT NULL, start INTEGER NOT NULL,
    "end" INTEGER NOT NULL, heading TEXT NOT NULL, page INTEGER
);
CREATE INDEX IF NOT EXISTS chunks_by_source ON chunks(source);
CREATE TABLE IF NOT EXISTS relations (
    source TEXT NOT NULL, relation TEXT NOT NULL, target_kind TEXT NOT NULL, target_number TEXT, target_date TEXT,
    target_label TEXT NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL, effective TEXT
);
CREATE INDEX IF NOT EXISTS relations_by_source ON relations(source);
CREATE INDEX IF NOT EXISTS relations_by_number ON relations(target_number);
CREATE INDEX IF NOT EXISTS relations_by_date ON relations(target_date);
CREATE TABLE IF NOT EXISTS pending (run_id TEXT NOT NULL, chunk_id TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(slots=True)
class FileEntry:
    """What the manifest remembers of one ingested file."""

    source: str
    root: str
    path: str
    file_hash: str
    size: int
    mtime_ns: int
    ingested_at: float


@dataclass(slots=True)
class DocumentInfo:
    """A row of the document library: what is ingested, without its text."""

    source: str
    file_source: str
    title: str
    date: str | None
    url: str | None
    doc_type: str
    n_chunks: int
    ingested_at: float
    chars: int


@dataclass(slots=True)
class StoredChunk:
    """A chunk as the catalog knows it: position, heading and page (the text is the document's slice)."""

    chunk_id: str
    source: str
    start: int
    end: int
    heading: str
    page: int | None


def _locked(method):
    """Serialise use of the one SQLite connection: the chat UI reads while the library tab ingests."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        with self.lock:
            return method(self, *args, **kwargs)

    return wrapper


class Catalog:
    """SQLite manifest + document store. One connection per instance, used under a lock; writes are transactional."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self.conn = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(_SCHEMA)
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            try:
                yield self.conn
                self.conn.commit()
            except BaseException:
                self.conn.rollback()
                raise

    # meta -----------------------------------------------------------------
    @_locked
    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction() as conn:
            conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    @property
    def generation(self) -> int:
        """Bumped by every committed change; the lexical index uses it to know when it is stale."""
        return int(self.get_meta("generation") or 0)

    # journal --------------------------------------------------------------
    def begin_pending(self, run_id: str, chunk_ids: Iterable[str]) -> None:
        """Record ids about to be written to (or deleted from) the vector store, before touching it."""
        with self.transaction() as conn:
            conn.executemany("INSERT INTO pending(run_id, chunk_id) VALUES (?, ?)", ((run_id, cid) for cid in chunk_ids))

    @_locked
    def orphaned_pending(self) -> list[str]:
        """Ids of unfinished runs that the manifest does not reference: to be deleted from the vector store."""
        rows = self.conn.execute(
            "SELECT DISTINCT p.chunk_id FROM pending p LEFT JOIN chunks c ON c.chunk_id = p.chunk_id WHERE c.chunk_id IS NULL"
        ).fetchall()
        return [row[0] for row in rows]

    @_locked
    def has_pending(self) -> bool:
        return self.conn.execute("SELECT 1 FROM pending LIMIT 1").fetchone() is not None

    def clear_pending(self, run_id: str | None = None) -> None:
        with self.transaction() as conn:
            if run_id is None:
                conn.execute("DELETE FROM pending")
            else:
                conn.execute("DELETE FROM pending WHERE run_id=?", (run_id,))

    # files and documents ---------------------------------------------------
    @_locked
    def files(self) -> dict[str, FileEntry]:
        rows = self.conn.execute("SELECT source, root, path, file_hash, size, mtime_ns, ingested_at FROM files").fetchall()
        return {row[0]: FileEntry(*row) for row in rows}

    @_locked
    def chunk_ids_of_file(self, file_source: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT c.chunk_id FROM chunks c JOIN documents d ON d.source = c.source WHERE d.file_source=?",
            (file_source,),
        ).fetchall()
        return [row[0] for row in rows]

    def commit_files(self, batch: list[tuple[FileEntry, list[tuple[Document, list[Chunk]]]]]) -> None:
        """Replace everything known about these files (their documents, chunks and relations), in one transaction."""
        relations = {doc.source: extract_relations(doc) for _, documents in batch for doc, _ in documents}
        with self.transaction() as conn:
            if conn.execute("SELECT 1 FROM documents LIMIT 1").fetchone() is None:
                conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (RELATIONS_META, RELATIONS_VERSION))
            for entry, documents in batch:
                self._delete_file(conn, entry.source)
                conn.execute(
                    "INSERT INTO files(source, root, path, file_hash, size, mtime_ns, ingested_at) VALUES (?,?,?,?,?,?,?)",
                    (entry.source, entry.root, entry.path, entry.file_hash, entry.size, entry.mtime_ns, entry.ingested_at),
                )
                for doc, chunks in documents:
                    conn.execute(
                        "INSERT OR REPLACE INTO documents(source, file_source, title, date, url, doc_type, content_hash, text, pages, n_chunks, ingested_at)"
                        " VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                        (doc.source, entry.source, doc.title, doc.date, doc.url, doc.doc_type, doc.content_hash, doc.text,
                         json.dumps([[p.page, p.start, p.end] for p in doc.pages]), len(chunks), entry.ingested_at),
                    )
                    conn.execute("DELETE FROM chunks WHERE source=?", (doc.source,))
                    conn.executemany(
                        'INSERT OR REPLACE INTO chunks(chunk_id, source, ord, start, "end", heading, page) VALUES (?,?,?,?,?,?,?)',
                        ((c.chunk_id, c.source, i, c.start, c.end, c.heading, c.page) for i, c in enumerate(chunks)),
                    )
                    self._insert_relations(conn, doc.source, relations[doc.source])
            self._bump(conn)

    @staticmethod
    def _insert_relations(conn: sqlite3.Connection, source: str, relations: Sequence[Relation]) -> None:
        conn.execute("DELETE FROM relations WHERE source=?", (source,))
        conn.executemany(
            'INSERT INTO relations(source, relation, target_kind, target_number, target_date, target_label, start, "end",'
            " effective) VALUES (?,?,?,?,?,?,?,?,?)",
            ((r.source, r.relation, r.target_kind, r.target_number, r.target_date, r.target_label, r.start, r.end,
              r.effective) for r in relations),
        )

    def refresh_relations(self, progress: Callable[[int, int], None] | None = None) -> int:
        """Find the relations of documents ingested before this extractor version (an older store, a better
        extractor); documents are not re-read from their files. Returns how many documents were done."""
        if not self.relations_behind():
            return 0
        sources = [info.source for info in self.documents()]
        found: list[tuple[str, list[Relation]]] = []
        for n, source in enumerate(sources, 1):
            document = self.document(source)
            if document is not None:
                found.append((source, extract_relations(document)))
            if progress:
                progress(n, len(sources))
        with self.transaction() as conn:
            for source, relations in found:
                self._insert_relations(conn, source, relations)
            conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (RELATIONS_META, RELATIONS_VERSION))
        return len(found)

    def relations_behind(self) -> bool:
        """Whether the stored relations were found by another extractor version than this one (or not at all)."""
        return self.get_meta(RELATIONS_META) != RELATIONS_VERSION

    @_locked
    def relations_from(self, source: str) -> list[Relation]:
        """What a document does to other documents, in the order its text says it."""
        rows = self.conn.execute(
            'SELECT source, relation, target_kind, target_number, target_date, target_label, start, "end", effective'
            " FROM relations WHERE source=? ORDER BY start", (source,)).fetchall()
        return [Relation(*row) for row in rows]

    @_locked
    def relations_onto(self, source: str) -> list[Relation]:
        """What other documents do to this one: relations whose target is its number (or, for a target named only
        by its date, its date and kind)."""
        row = self.conn.execute("SELECT title, date FROM documents WHERE source=?", (source,)).fetchone()
        if row is None:
            return []
        identifier = own_identifier(row[0])
        found = []
        query = ('SELECT source, relation, target_kind, target_number, target_date, target_label, start, "end", effective'
                 " FROM relations WHERE source != ? AND ")
        if identifier:
            found += self.conn.execute(query + "target_kind=? AND target_number=?", (source, *identifier)).fetchall()
        if row[1]:
            kind = identifier[0] if identifier else "executive_order"
            found += self.conn.execute(query + "target_number IS NULL AND target_kind=? AND target_date=?",
                                       (source, kind, row[1])).fetchall()
        return [Relation(*r) for r in found]

    @_locked
    def relations_onto_number(self, kind: str, number: str) -> list[Relation]:
        """What documents do to the one numbered so ("executive_order", "14031"), whether or not it is ingested."""
        rows = self.conn.execute(
            'SELECT source, relation, target_kind, target_number, target_date, target_label, start, "end", effective'
            " FROM relations WHERE target_kind=? AND target_number=? ORDER BY source, start", (kind, number)).fetchall()
        return [Relation(*row) for row in rows]

    @_locked
    def sources_numbered(self, kind: str, number: str) -> list[str]:
        """Documents whose own title gives them this number ("Executive Order 14257: ..." for executive_order 14257)."""
        rows = self.conn.execute("SELECT source, title FROM documents WHERE title LIKE ? ORDER BY source", (f"%{number}%",))
        return [source for source, title in rows if own_identifier(title) == (kind, number)]

    @_locked
    def sources_on(self, kind: str, date: str) -> list[str]:
        """Documents of this kind dated `date` (a target named only by its date: "the Executive Order of April 8, 2025")."""
        rows = self.conn.execute("SELECT source, title FROM documents WHERE date=? ORDER BY source", (date,))
        return [source for source, title in rows if (own_identifier(title) or ("",))[0] == kind]

    def remove_files(self, file_sources: Iterable[str]) -> None:
        with self.transaction() as conn:
            for source in file_sources:
                self._delete_file(conn, source)
            self._bump(conn)

    @staticmethod
    def _delete_file(conn: sqlite3.Connection, file_source: str) -> None:
        sources = [row[0] for row in conn.execute("SELECT source FROM documents WHERE file_source=?", (file_source,))]
        for source in sources:
            conn.execute("DELETE FROM chunks WHERE source=?", (source,))
            conn.execute("DELETE FROM relations WHERE source=?", (source,))
        conn.execute("DELETE FROM documents WHERE file_source=?", (file_source,))
        conn.execute("DELETE FROM files WHERE source=?", (file_source,))

    def bump_generation(self) -> None:
        """Tell every reader the store changed (after a repair of what lies outside the catalog)."""
        with self.transaction() as conn:
            self._bump(conn)

    @staticmethod
    def _bump(conn: sqlite3.Connection) -> None:
        row = conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        conn.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('generation', ?)", (str(int(row[0]) + 1 if row else 1),))

    # reads -----------------------------------------------------------------
    @_locked
    def documents(self) -> list[DocumentInfo]:
        rows = self.conn.execute(
            "SELECT source, file_source, title, date, url, doc_type, n_chunks, ingested_at, length(text) FROM documents ORDER BY source"
        ).fetchall()
        return [DocumentInfo(*row) for row in rows]

    @_locked
    def document(self, source: str) -> Document | None:
        row = self.conn.execute(
            "SELECT source, title, date, url, doc_type, content_hash, text, pages FROM documents WHERE source=?", (source,)
        ).fetchone()
        if row is None:
            return None
        pages = [PageSpan(*p) for p in json.loads(row[7])]
        return Document(source=row[0], title=row[1], date=row[2], url=row[3], doc_type=row[4], content_hash=row[5], text=row[6], pages=pages)

    @_locked
    def title_date(self, source: str) -> tuple[str, str | None]:
        row = self.conn.execute("SELECT title, date FROM documents WHERE source=?", (source,)).fetchone()
        return (row[0], row[1]) if row else (source, None)

    @_locked
    def sources_dated(self, like_patterns: Sequence[str], limit: int) -> list[str]:
        """Documents whose ISO date matches any of the SQL LIKE patterns, at most `limit` (none when more match:
        a date that many documents share does not point at one)."""
        if not like_patterns:
            return []
        where = " OR ".join("date LIKE ?" for _ in like_patterns)
        rows = self.conn.execute(f"SELECT source FROM documents WHERE {where} LIMIT ?", (*like_patterns, limit + 1)).fetchall()
        return [] if len(rows) > limit else [row[0] for row in rows]

    @_locked
    def sources_titled(self, numbers: Sequence[str], keep: Callable[[str], bool] = lambda title: True) -> list[str]:
        """Documents whose title holds one of the numbers as a word ("Executive Order 14257: …" for "14257") and
        passes `keep`."""
        found: list[str] = []
        for number in numbers:
            pattern = re.compile(rf"\b{re.escape(number)}\b")
            rows = self.conn.execute("SELECT source, title FROM documents WHERE title LIKE ?", (f"%{number}%",))
            found.extend(source for source, title in rows if pattern.search(title) and keep(title))
        return list(dict.fromkeys(found))

    @_locked
    def document_text(self, source: str) -> str | None:
        row = self.conn.execute("SELECT text FROM documents WHERE source=?", (source,)).fetchone()
        return row[0] if row else None

    @_locked
    def chunks(self, chunk_ids: Iterable[str]) -> dict[str, StoredChunk]:
        ids = list(chunk_ids)
        found: dict[str, StoredChunk] = {}
        for offset in range(0, len(ids), 500):
            part = ids[offset : offset + 500]
            marks = ",".join("?" * len(part))
            for row in self.conn.execute(
                f'SELECT chunk_id, source, start, "end", heading, page FROM chunks WHERE chunk_id IN ({marks})', part
            ):
                found[row[0]] = StoredChunk(*row)
        return found

    @_locked
    def chunks_of_sources(self, sources: Sequence[str]) -> list[StoredChunk]:
        """Every chunk of the given documents, in document order."""
        found: list[StoredChunk] = []
        for source in sources:
            found.extend(StoredChunk(*row) for row in self.conn.execute(
                'SELECT chunk_id, source, start, "end", heading, page FROM chunks WHERE source=? ORDER BY ord', (source,)))
        return found

    @_locked
    def chunk_rows(self) -> list[tuple[str, str, str, str]]:
        """(chunk_id, source, title, heading + text) of every chunk, in a stable order, for the lexical index."""
        cursor = self.conn.execute(
            'SELECT c.chunk_id, c.source, d.title, c.heading, substr(d.text, c.start + 1, c."end" - c.start)'
            " FROM chunks c JOIN documents d ON d.source = c.source ORDER BY c.source, c.ord"
        )
        return [(chunk_id, source, title, f"{heading}\n{text}" if heading else text)
                for chunk_id, source, title, heading, text in cursor]

    @_locked
    def all_chunk_ids(self) -> set[str]:
        return {row[0] for row in self.conn.execute("SELECT chunk_id FROM chunks")}

    @_locked
    def file_of(self, source: str) -> str | None:
        row = self.conn.execute("SELECT file_source FROM documents WHERE source=?", (source,)).fetchone()
        if row:
            return row[0]
        row = self.conn.execute("SELECT source FROM files WHERE source=?", (source,)).fetchone()
        return row[0] if row else None
