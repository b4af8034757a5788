"""BM25 lexical index over all chunks, kept in step with the catalog by its generation number.

Identifiers that users type exactly (order numbers, HTSUS headings like 9903.01.63, dates)
stay whole tokens here, so they find their documents even when embeddings blur them.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import logging
import re
import shutil
import tempfile
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from collections import defaultdict
from typing import Iterable, Sequence

import numpy as np

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"\d+(?:[.,:\-/]\d+)*[a-z]?|[a-z][a-z0-9]*(?:['’][a-z]+)?")
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being below between both
    but by can could did do does doing down during each few for from further had has have having he her here hers
    herself him himself his how i if in into is it its itself just me more most my myself no nor not now of off on
    once only or other our ours ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves shall may must also any upon whether""".split()
)


@functools.lru_cache(maxsize=1 << 16)
def stem(word: str) -> str:
    """A light English suffix stripper: enough to match plurals and simple verb forms."""
    if len(word) <= 3 or not word.isalpha():
        return word
    for suffix, replacement in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", "e"), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            return word[: -len(suffix)] + replacement
    return word


_ENUMERATOR = re.compile(r"^\W*(?:\(?[a-z0-9]{1,4}\)|[-*•])\s*")


def sentence_key(sentence: str) -> str:
    """Normalised form of a sentence used to spot boilerplate repeated across documents."""
    return hashlib.blake2b(_ENUMERATOR.sub("", " ".join(sentence.lower().split())).encode(), digest_size=8).hexdigest()


def tokenize(text: str) -> list[str]:
    """Lower-cased, stop-word-free, lightly stemmed tokens; numbers with dots and dashes stay whole."""
    tokens = []
    for match in _TOKEN.finditer(text.lower()):
        token = match.group(0).rstrip(".,:-/")
        if token in STOPWORDS:
            continue
        tokens.append(stem(token))
    return tokens


@dataclass(slots=True)
class LexicalHit:
    chunk_id: str
    score: float


class Bm25Scores:
    """A saved bm25s index read with numpy alone, so that asking a question never imports bm25s or scipy.

    bm25s stores each token's precomputed BM25 contributions as a column of a sparse matrix (CSC);
    a query's score is the sum of its tokens' columns, exactly as `bm25s.BM25.get_scores` computes it
    for the Lucene variant (tested against it).
    """

    def __init__(self, directory: Path) -> None:
        self.data = np.load(directory / "data.csc.index.npy", mmap_mode="r")
        self.indices = np.load(directory / "indices.csc.index.npy", mmap_mode="r")
        self.indptr = np.load(directory / "indptr.csc.index.npy")
        self.vocab: dict[str, int] = json.loads((directory / "vocab.index.json").read_text(encoding="utf-8"))
        params = json.loads((directory / "params.index.json").read_text(encoding="utf-8"))
        if params.get("method", "lucene") != "lucene":
            raise ValueError(f"unsupported bm25s method {params.get('method')!r} in {directory}")
        self.num_docs = int(params["num_docs"])

    def get_scores(self, tokens: Sequence[str]) -> np.ndarray:
        scores = np.zeros(self.num_docs, dtype=np.float32)
        for token in tokens:
            index = self.vocab[token]
            start, end = self.indptr[index], self.indptr[index + 1]
            scores[self.indices[start:end]] += self.data[start:end]  # a column has each document at most once
        return scores

    def document_frequency(self, token: str) -> int:
        index = self.vocab.get(token)
        return 0 if index is None else int(self.indptr[index + 1] - self.indptr[index])


class LexicalIndex:
    """bm25s index persisted under `directory`, rebuilt when the catalog generation moves on.

    Several processes may share a store (the chat UI asking while the CLI ingests), so the saved index is swapped
    under an OS lock beside it: a build writes a private temporary directory and swaps it in holding the lock
    exclusively, and a load reads holding it shared.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)
        self._scores: Bm25Scores | None = None
        self._ids: list[str] = []
        self._sources: list[str] = []
        self._generation = -1
        self.boilerplate: set[str] = set()
        self._lock = threading.Lock()

    @contextmanager
    def _file_lock(self, exclusive: bool):
        self.directory.parent.mkdir(parents=True, exist_ok=True)
        with open(self.directory.with_name(self.directory.name + ".lock"), "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
            yield  # closing the file releases the lock

    def build(self, rows: Iterable[tuple[str, str, str, str]], generation: int) -> None:
        """Index (chunk_id, source, title, text) rows and save them."""
        import bm25s

        logging.getLogger("bm25s").setLevel(logging.NOTSET)  # bm25s sets DEBUG on import; follow the app's logging

        from ingest.text import split_sentences

        ids, sources, corpus = [], [], []
        sentence_sources: dict[str, set[str]] = defaultdict(set)
        for chunk_id, source, title, text in rows:
            ids.append(chunk_id)
            sources.append(source)
            corpus.append(tokenize(f"{title}\n{text}") or ["_empty_"])
            for start, end in split_sentences(text):
                if end - start > 30:
                    sentence_sources[sentence_key(text[start:end])].add(source)
        n_sources = len(set(sources))
        min_sources = max(3, int(0.02 * n_sources))
        boilerplate = sorted(key for key, where in sentence_sources.items() if len(where) >= min_sources)
        retriever = bm25s.BM25(k1=1.2, b=0.75)
        if corpus:
            retriever.index(corpus, show_progress=False)
        self.directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=self.directory.name + ".", suffix=".tmp", dir=self.directory.parent))
        try:
            if corpus:
                retriever.save(str(tmp / "bm25"))
            (tmp / "ids.json").write_text(json.dumps({"generation": generation, "ids": ids, "sources": sources,
                                                      "boilerplate": boilerplate}))
            with self._file_lock(exclusive=True):
                shutil.rmtree(self.directory, ignore_errors=True)
                tmp.rename(self.directory)
                self._load()
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def stored_generation(self) -> int:
        meta = self.directory / "ids.json"
        if not meta.is_file():
            return -1
        try:
            with open(meta, encoding="utf-8") as handle:
                return int(json.load(handle).get("generation", -1))
        except (OSError, ValueError):
            return -1

    def load(self) -> bool:
        """Load the saved index; False when there is none."""
        with self._file_lock(exclusive=False):
            return self._load()

    def _load(self) -> bool:
        meta_path = self.directory / "ids.json"
        if not meta_path.is_file():
            return False
        meta = json.loads(meta_path.read_text())
        self._ids, self._sources, self._generation = meta["ids"], meta["sources"], int(meta["generation"])
        self.boilerplate = set(meta.get("boilerplate", []))
        self._scores = Bm25Scores(self.directory / "bm25") if self._ids else None
        return True

    def ensure_current(self, generation: int, rows_factory) -> None:
        """Make the in-memory index match `generation`, loading or rebuilding as needed."""
        with self._lock:
            if self._generation == generation:
                return
            with self._file_lock(exclusive=False):
                if self.stored_generation() == generation and self._load():
                    return
            log.info("rebuilding the lexical index")
            self.build(rows_factory(), generation)

    @property
    def size(self) -> int:
        return len(self._ids)

    def search(self, query: str, k: int) -> list[LexicalHit]:
        if self._scores is None or not self._ids:
            return []
        tokens = [t for t in tokenize(query) if t in self._scores.vocab]
        if not tokens:
            return []
        k = min(k, len(self._ids))
        scores = self._scores.get_scores(tokens)
        if k < len(scores):
            top = np.argpartition(-scores, k - 1)[:k]
        else:
            top = np.arange(len(scores))
        top = top[np.argsort(-scores[top], kind="stable")]
        return [LexicalHit(self._ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def is_boilerplate(self, sentence: str) -> bool:
        """True for sentences found in many documents (authority clauses, general provisions)."""
        return sentence_key(sentence) in self.boilerplate

    def idf(self, tokens: Iterable[str]) -> dict[str, float]:
        """Inverse document frequency of tokens over all chunks (unknown tokens get the maximum)."""
        n_docs = max(len(self._ids), 1)
        result: dict[str, float] = {}
        for token in tokens:
            freq = self._scores.document_frequency(token) if self._scores is not None else 0
            result[token] = float(np.log(1.0 + (n_docs - freq + 0.5) / (freq + 0.5)))
        return result

    def sources(self) -> Sequence[str]:
        return self._sources
