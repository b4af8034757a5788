"""The plain LangChain tutorial RAG pipeline, as the baseline policyqa is measured against.

Load every .md/.txt file -> RecursiveCharacterTextSplitter(1000, 200, add_start_index=True)
-> HuggingFaceEmbeddings (the same bundled all-MiniLM-L6-v2 policyqa uses) -> Chroma.from_documents
-> similarity_search_with_score(question, k=5). No cleaning, no hybrid search, no answerer:
the top chunk is the answer and its only citation.

    from benchmarks.baseline import BaselinePipeline
    pipeline = BaselinePipeline("/tmp/baseline-store")
    pipeline.ingest([Path("corpus"), Path("extra.txt")])
    pipeline.answer("What tariff rate applies to ...?")   # the `ask --json` shape
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

SUFFIXES = (".md", ".txt")
CHUNK_SIZE = 1000
CHUNK_OVERLAP = 200
TOP_K = 5
COLLECTION = "baseline"


@dataclass(slots=True)
class BaselineIngest:
    """What `BaselinePipeline.ingest` did."""

    documents: int
    text_bytes: int
    chunks: int
    seconds: float


def _is_hidden(name: str) -> bool:
    return name.startswith(".") or name.startswith("~$")


def iter_corpus_files(paths: Iterable[Path]) -> list[tuple[Path, str]]:
    """(path, source) of every .md/.txt file: folders recursively (source relative to the folder, posix),
    single files as given (source = file name), the same convention as policyqa's ingest."""
    found: list[tuple[Path, str]] = []
    for root in paths:
        root = Path(root)
        if root.is_file():
            found.append((root, root.name))
            continue
        if not root.is_dir():
            raise FileNotFoundError(f"no such file or folder: {root}")
        files = []
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not _is_hidden(d))
            for name in filenames:
                path = Path(dirpath) / name
                if not _is_hidden(name) and path.suffix.lower() in SUFFIXES and path.is_file():
                    files.append((path, path.relative_to(root).as_posix()))
        found.extend(sorted(files, key=lambda item: item[1]))
    return found


def first_line(text: str) -> str:
    """The document's title: its first non-empty line, without Markdown heading marks."""
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line.lstrip("#").strip()[:300]
    return ""


class BaselinePipeline:
    """The LangChain tutorial pipeline over a persistent Chroma folder."""

    def __init__(self, persist_dir: str | Path) -> None:
        self.persist_dir = Path(persist_dir)
        self.texts: dict[str, str] = {}
        self.titles: dict[str, str] = {}
        self._embeddings = None
        self._store = None

    # parts ----------------------------------------------------------------------
    @property
    def embeddings(self):
        if self._embeddings is None:
            from langchain_huggingface import HuggingFaceEmbeddings

            from vectorstore.embeddings import bundled_model_path

            self._embeddings = HuggingFaceEmbeddings(model_name=str(bundled_model_path()))
        return self._embeddings

    @property
    def store(self):
        if self._store is None:
            from langchain_chroma import Chroma

            self._store = Chroma(
                collection_name=COLLECTION,
                embedding_function=self.embeddings,
                persist_directory=str(self.persist_dir),
            )
        return self._store

    # ingest -----------------------------------------------------------------------
    def load(self, paths: Sequence[str | Path]):
        """Read every .md/.txt file into a LangChain Document (metadata: source, title)."""
        from langchain_core.documents import Document

        documents = []
        for path, source in iter_corpus_files([Path(p) for p in paths]):
            text = path.read_text(encoding="utf-8", errors="replace")
            self.texts[source] = text
            self.titles[source] = first_line(text)
            documents.append(Document(page_content=text, metadata={"source": source, "title": self.titles[source]}))
        return documents

    def ingest(self, paths: Sequence[str | Path]) -> BaselineIngest:
        """Load, split, embed and store (timed end to end, model load included)."""
        from langchain_chroma import Chroma
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        started = time.perf_counter()
        documents = self.load(paths)
        splitter = RecursiveCharacterTextSplitter(
            chunk_size=CHUNK_SIZE, chunk_overlap=CHUNK_OVERLAP, add_start_index=True
        )
        splits = splitter.split_documents(documents)
        self._store = Chroma.from_documents(
            documents=splits,
            embedding=self.embeddings,
            collection_name=COLLECTION,
            persist_directory=str(self.persist_dir),
        )
        seconds = time.perf_counter() - started
        return BaselineIngest(
            documents=len(documents),
            text_bytes=sum(len(doc.page_content.encode("utf-8")) for doc in documents),
            chunks=len(splits),
            seconds=seconds,
        )

    def document_text(self, source: str) -> str | None:
        """The text the baseline loaded for a source (what its offsets refer to)."""
        return self.texts.get(source)

    # query ------------------------------------------------------------------------
    def search(self, question: str, k: int = TOP_K):
        return self.store.similarity_search_with_score(question, k=k)

    def answer(self, question: str) -> dict:
        """The `ask --json` shape: the top chunk is the answer and its one citation.

        `score` is Chroma's distance (lower is closer), as the tutorial returns it.
        """
        started = time.perf_counter()
        hits = self.search(question, k=TOP_K)
        citations = []
        answer = ""
        if hits:
            doc, score = hits[0]
            source = doc.metadata.get("source", "")
            start = int(doc.metadata.get("start_index", -1))
            citations.append(
                {
                    "n": 1,
                    "source": source,
                    "title": doc.metadata.get("title") or self.titles.get(source, ""),
                    "chunk_id": doc.id or "",
                    "quote": doc.page_content,
                    "start": start,
                    "end": start + len(doc.page_content),
                    "page": None,
                    "score": round(float(score), 4),
                }
            )
            answer = f"{doc.page_content} [1]"
        retrieved = [
            {"source": doc.metadata.get("source", ""), "chunk_id": doc.id or "", "score": round(float(score), 4)}
            for doc, score in hits
        ]
        return {
            "question": question,
            "answer": answer,
            "citations": citations,
            "refused": False,
            "retrieved": retrieved,
            "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        }
