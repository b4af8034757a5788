"""The ONNX Runtime fast path gives the same vectors, and so the same retrieval and answers, as PyTorch."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.core import build_assistant
from assistant.settings import Settings
from vectorstore.embeddings import Embedder, cpu_has_native_bf16

pytestmark = pytest.mark.integration

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo_corpus"
FILES = [
    "eo2025/04-April/2025-04-09-executive-order-14266.md",
    "eo2025/03-March/2025-03-25-executive-order-14249.md",
    "eo2025/02-February/2025-02-25-executive-order-14220.md",
]
QUESTIONS = [
    "What does the GAO estimate the federal government loses to fraud each year?",
    "Until when is enforcement of the country-specific reciprocal duties suspended?",
    "What does the copper order ask the Secretary of Commerce to investigate?",
]


def copy_demo_files(corpus: Path) -> Path:
    """The FILES of the demo corpus, copied into `corpus` with their sources kept."""
    for name in FILES:
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DEMO / name, corpus / name)
    return corpus


@pytest.fixture(scope="module")
def backends(tmp_path_factory):
    cache = tmp_path_factory.mktemp("onnx-cache")
    import os

    old = os.environ.get("POLICYQA_CACHE")
    os.environ["POLICYQA_CACHE"] = str(cache)
    onnx = Embedder(backend="onnx")
    torch_ = Embedder(backend="torch", dtype="fp32")
    assert onnx.backend == "onnx" and torch_.backend == "torch"
    yield onnx, torch_
    if old is None:
        os.environ.pop("POLICYQA_CACHE", None)
    else:
        os.environ["POLICYQA_CACHE"] = old


def test_onnx_vectors_match_pytorch(backends):
    onnx, torch_ = backends
    texts = [(DEMO / f).read_text()[i : i + 700] for f in FILES for i in range(0, 6000, 900)]
    texts += ["short", "word " * 600]
    a, b = onnx.embed(texts), torch_.embed(texts)
    assert a.shape == b.shape == (len(texts), 384)
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-4)
    assert float((a * b).sum(axis=1).min()) > 0.9999


def test_same_chunks_ids_and_answers_on_both_paths(backends, tmp_path):
    corpus = copy_demo_files(tmp_path / "corpus")
    results = {}
    for onnx_or_torch, embedder in zip(("onnx", "torch"), backends):
        assistant = build_assistant(Settings(store=tmp_path / onnx_or_torch))
        assistant.__dict__["embedder"] = embedder
        assistant.ingest([corpus], progress=False)
        ids = sorted(assistant.catalog.all_chunk_ids())
        answers = [assistant.ask(q) for q in QUESTIONS]
        results[onnx_or_torch] = (ids, [(a.answer, [(c.source, c.start, c.end) for c in a.citations]) for a in answers],
                                  [[r.chunk_id for r in a.retrieved[:5]] for a in answers])
    assert results["onnx"][0] == results["torch"][0], "chunking and ids do not depend on the backend"
    assert results["onnx"][1] == results["torch"][1], "answers and citations are identical"
    assert results["onnx"][2] == results["torch"][2], "top-5 retrieval is identical"


def test_bf16_is_only_chosen_on_cpus_that_support_it():
    embedder = Embedder(dtype="auto")
    assert embedder.dtype == ("bf16" if cpu_has_native_bf16() else "fp32")
    assert Embedder(dtype="fp32").dtype == "fp32"


def test_explicit_settings_are_honoured_on_every_cpu(backends):
    onnx, _ = backends
    assert onnx.backend == onnx.bulk_backend == "onnx", "an explicit onnx backend is never ignored, bf16 CPU or not"
    assert onnx.dtype == "fp32"
    forced = Embedder(backend="torch", dtype="bf16")
    assert forced.backend == forced.bulk_backend == "torch" and forced.dtype == "bf16"
    assert Embedder(dtype="bf16").backend == "torch", "an explicit bf16 keeps questions on PyTorch too"
    with pytest.raises(ValueError, match="bf16 runs on PyTorch only"):
        Embedder(backend="onnx", dtype="bf16")


def test_settings_refuse_onnx_with_bf16(monkeypatch):
    monkeypatch.setenv("POLICYQA_EMBEDDING_BACKEND", "onnx")
    monkeypatch.setenv("POLICYQA_EMBEDDING_DTYPE", "bf16")
    with pytest.raises(ValueError, match="bf16 runs on PyTorch only"):
        Settings()


def test_auto_asks_on_onnx_and_ingests_in_bf16_where_the_cpu_has_it(backends):
    """The default: a question never needs torch once the model is exported; ingest takes the fastest path."""
    auto = Embedder()
    assert auto.prepare_fast_path()
    assert auto.backend == "onnx"
    assert auto.bulk_backend == ("torch" if cpu_has_native_bf16() else "onnx")
    assert "model" not in auto.__dict__, "choosing the paths loads no PyTorch model"


def test_bf16_passages_match_fp32_questions(backends):
    """Ingest in bf16 and questions in ONNX fp32 land in the same space."""
    onnx, _ = backends
    bf16 = Embedder(backend="torch", dtype="bf16")
    texts = [(DEMO / f).read_text()[i : i + 700] for f in FILES for i in range(0, 3600, 900)]
    a, b = onnx.embed(texts), bf16.embed_bulk(texts)
    assert np.allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5), "bf16 vectors are renormalised in fp32"
    assert float((a * b).sum(axis=1).min()) > 0.9998
    assert float((a * b).sum(axis=1).mean()) > 0.9999


def test_cold_ask_does_not_import_torch(tmp_path, backends):
    """`policyqa ask` in a new process embeds the question on ONNX Runtime on every CPU: no torch import."""
    import os
    import subprocess
    import sys

    corpus = copy_demo_files(tmp_path / "corpus")
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYQA_EMBEDDING")}
    store = tmp_path / "store"
    ingest = subprocess.run([sys.executable, "-m", "assistant.cli", "ingest", str(corpus), "--store", str(store)],
                            env=env, capture_output=True, text=True)
    assert ingest.returncode == 0, ingest.stderr
    probe = ("import sys\nfrom assistant.cli import main\ntry:\n    main(['ask', '--json', '--store', sys.argv[1], sys.argv[2]])\n"
             "except SystemExit as e:\n    assert not e.code, e.code\nprint('TORCH' if 'torch' in sys.modules else 'NO-TORCH')\n")
    ask = subprocess.run([sys.executable, "-c", probe, str(store), QUESTIONS[0]], env=env, capture_output=True, text=True)
    assert ask.returncode == 0, ask.stderr
    assert ask.stdout.strip().endswith("NO-TORCH")
    assert '"citations"' in ask.stdout
