"""The one adapter to Chroma: an embedded PersistentClient by default, or a Chroma server by URL."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Iterable, Sequence
from urllib.parse import urlparse

import numpy as np

from ingest.records import Chunk

log = logging.getLogger(__name__)


class StoreError(RuntimeError):
    """The vector store cannot be reached or used; the message says what to do."""


@dataclass(slots=True)
class DenseHit:
    """A chunk id found by vector search with its cosine similarity."""

    chunk_id: str
    similarity: float


def chunk_metadata(chunk: Chunk) -> dict:
    """Chroma metadata of a chunk: Chroma takes no None values, so absent fields are left out."""
    data = {
        "source": chunk.source,
        "title": chunk.title,
        "start": chunk.start,
        "end": chunk.end,
        "heading": chunk.heading,
        "date": chunk.date,
        "page": chunk.page,
        "text_hash": chunk.text_hash,
    }
    return {key: value for key, value in data.items() if value is not None}


class ChromaStore:
    """Chunk vectors, texts and metadata in one Chroma collection (cosine space)."""

    def __init__(self, persist_dir: Path, collection: str = "policyqa", url: str | None = None) -> None:
        self.persist_dir = Path(persist_dir)
        self.collection_name = collection
        self.url = url

    @cached_property
    def client(self):
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        if self.url:
            parsed = urlparse(self.url if "://" in self.url else f"http://{self.url}")
            try:
                client = chromadb.HttpClient(
                    host=parsed.hostname or "127.0.0.1",
                    port=parsed.port or (443 if parsed.scheme == "https" else 8000),
                    ssl=parsed.scheme == "https",
                    settings=chroma_settings,
                )
                client.heartbeat()
            except Exception as exc:  # the client raises several unrelated types for "not reachable"
                raise StoreError(
                    f"cannot reach the Chroma server at {self.url} ({type(exc).__name__}); "
                    "start it with `chroma run --path DIR --host 127.0.0.1 --port 8000` or drop --chroma-url"
                ) from exc
            return client
        self.persist_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(self.persist_dir), settings=chroma_settings)

    def reopen(self) -> None:
        """Forget the open embedded client, so the next call reads the store as another process left it: an
        embedded client keeps what it has read, and after another process's ingest it looks for ids it no longer
        has ("Error finding id"). A Chroma server needs no such thing."""
        if self.url:
            return
        from chromadb.api.client import SharedSystemClient

        SharedSystemClient.clear_system_cache()  # else a new client for this path is the old one again
        for name in ("client", "collection", "max_batch"):
            self.__dict__.pop(name, None)

    @cached_property
    def collection(self):
        return self.client.get_or_create_collection(
            self.collection_name, configuration={"hnsw": {"space": "cosine"}}, embedding_function=None
        )

    @cached_property
    def max_batch(self) -> int:
        try:
            return int(self.client.get_max_batch_size())
        except Exception:
            return 1000

    def upsert(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Write chunks with their vectors; the same ids overwrite, so re-running never duplicates."""
        for offset in range(0, len(chunks), self.max_batch):
            part = chunks[offset : offset + self.max_batch]
            self.collection.upsert(
                ids=[c.chunk_id for c in part],
                embeddings=vectors[offset : offset + len(part)],
                documents=[c.text for c in part],
                metadatas=[chunk_metadata(c) for c in part],
            )

    def delete(self, chunk_ids: Iterable[str]) -> None:
        ids = list(chunk_ids)
        for offset in range(0, len(ids), self.max_batch):
            self.collection.delete(ids=ids[offset : offset + self.max_batch])

    def vectors(self, chunk_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors of the given ids (missing ids are absent from the result)."""
        found: dict[str, np.ndarray] = {}
        ids = list(chunk_ids)
        for offset in range(0, len(ids), self.max_batch):
            got = self.collection.get(ids=ids[offset : offset + self.max_batch], include=["embeddings"])
            for chunk_id, vector in zip(got["ids"], got["embeddings"]):
                found[chunk_id] = np.asarray(vector, dtype=np.float32)
        return found

    def all_vectors(self) -> tuple[list[str], np.ndarray]:
        """Every stored id and vector, as a list and a float32 matrix in the same order."""
        ids: list[str] = []
        parts: list[np.ndarray] = []
        offset, page = 0, min(self.max_batch, 5000)
        while True:
            got = self.collection.get(include=["embeddings"], limit=page, offset=offset)
            if not got["ids"]:
                break
            ids.extend(got["ids"])
            parts.append(np.asarray(got["embeddings"], dtype=np.float32))
            offset += len(got["ids"])
        return ids, (np.vstack(parts) if parts else np.zeros((0, 0), dtype=np.float32))

    def all_ids(self) -> set[str]:
        ids: set[str] = set()
        offset, page = 0, 10000
        while True:
            got = self.collection.get(include=[], limit=page, offset=offset)
            ids.update(got["ids"])
            if len(got["ids"]) < page:
                return ids
            offset += page

    def count(self) -> int:
        return int(self.collection.count())

    def warm(self) -> None:
        """Connect and load the vector index now (by a one-result query with a stored vector)."""
        got = self.collection.get(limit=1, include=["embeddings"])
        if got["ids"]:
            self.collection.query(query_embeddings=np.asarray(got["embeddings"][:1], dtype=np.float32), n_results=1,
                                  include=[])

    @property
    def location(self) -> str:
        """Where the vectors live, as recorded in the catalog: the server URL, or `embedded`."""
        return self.url or "embedded"

    def copy_from(self, other: "ChromaStore") -> int:
        """Copy every vector, text and metadata of `other` into this collection (no re-embedding); returns the count."""
        copied, page = 0, min(self.max_batch, other.max_batch, 5000)
        offset = 0
        while True:
            got = other.collection.get(include=["embeddings", "documents", "metadatas"], limit=page, offset=offset)
            if not got["ids"]:
                return copied
            self.collection.upsert(ids=got["ids"], embeddings=got["embeddings"], documents=got["documents"],
                                   metadatas=got["metadatas"])
            copied += len(got["ids"])
            offset += len(got["ids"])

    def search(self, vector: np.ndarray, k: int, sources: Sequence[str] | None = None) -> list[DenseHit]:
        """Nearest chunks by cosine similarity, optionally restricted to some sources."""
        where = None
        if sources:
            where = {"source": {"$in": list(sources)}} if len(sources) > 1 else {"source": sources[0]}
        result = self.collection.query(
            query_embeddings=np.asarray(vector, dtype=np.float32).reshape(1, -1),
            n_results=k,  # Chroma returns fewer when the collection is smaller; no count() round trip per query
            where=where,
            include=["distances"],
        )
        return [DenseHit(cid, 1.0 - float(dist)) for cid, dist in zip(result["ids"][0], result["distances"][0])]

    def reset(self) -> None:
        """Drop the collection (used by `remove` of everything and by tests)."""
        try:
            self.client.delete_collection(self.collection_name)
        except Exception:
            pass
        self.__dict__.pop("collection", None)
