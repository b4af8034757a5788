"""Moving an embedded store to a Chroma server: the vectors are copied (not re-embedded) and the answers stay the same.

Uses a real `chroma run` server on loopback, real Chroma embedded, the real bundled model.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import numpy as np
import pytest

from assistant.core import StoreMismatchError, build_assistant
from assistant.settings import Settings

pytestmark = pytest.mark.integration

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo_corpus"
FILES = ["eo2025/04-April/2025-04-17-executive-order-14276.md", "eo2025/03-March/2025-03-24-executive-order-14245.md",
         "seed_india_russia.txt"]

QUESTION = "Within how many days must the seafood trade strategy be developed?"


def test_moving_an_embedded_store_to_a_server(tmp_path, embedder, chroma_server):
    corpus = tmp_path / "docs"
    for name in FILES:
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DEMO / name, corpus / name)
    store = tmp_path / "store"
    collection = f"t-{uuid.uuid4().hex[:12]}"

    def make(url):
        assistant = build_assistant(Settings(store=store, chroma_url=url, collection=collection))
        assistant.__dict__["embedder"] = embedder
        return assistant

    local = make(None)
    local.ingest([corpus], progress=False)
    ids = sorted(local.store.all_ids())
    before = local.ask(QUESTION).to_json()
    local_vectors = local.store.vectors(ids[:20])
    local.close()

    remote = make(chroma_server)
    with pytest.raises(StoreMismatchError, match="embedded Chroma"):
        remote.ask(QUESTION)
    report = remote.ingest([corpus], progress=False)
    assert report.chunks_embedded == 0 and not report.added and not report.updated
    assert sorted(remote.store.all_ids()) == ids
    remote_vectors = remote.store.vectors(ids[:20])
    assert all(np.allclose(local_vectors[i], remote_vectors[i]) for i in ids[:20])
    after = remote.ask(QUESTION).to_json()
    assert after["answer"] == before["answer"] and after["citations"] == before["citations"]
    remote.close()

    back = make(None)
    with pytest.raises(StoreMismatchError, match=f"pass --chroma-url {chroma_server}"):
        back.ask(QUESTION)
