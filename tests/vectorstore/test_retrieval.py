"""Dense search: exact over every vector for a small store, Chroma's approximate index for a large one."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import numpy as np
import pytest

from assistant.core import build_assistant
from assistant.settings import Settings
from vectorstore.retrieval import ExactVectors

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo_corpus"
FILES = [
    "eo2025/03-March/2025-03-24-executive-order-14245.md",
    "eo2025/04-April/2025-04-17-executive-order-14276.md",
    "seed_india_russia.txt",
]


def test_exact_vectors_rank_by_cosine_and_break_ties_by_id():
    ids = ["c", "a", "b", "d"]
    matrix = np.array([[1.0, 0.0], [0.6, 0.8], [0.6, 0.8], [0.0, 1.0]], dtype=np.float32)
    hits = ExactVectors(ids, matrix).search(np.array([0.6, 0.8], dtype=np.float32), 3)
    assert [h.chunk_id for h in hits] == ["a", "b", "d"]  # a and b tie: by id, whatever order they were stored in
    assert hits[0].similarity == pytest.approx(1.0)
    assert len(ExactVectors(ids, matrix).search(np.array([1.0, 0.0], dtype=np.float32), 10)) == 4
    assert ExactVectors([], np.zeros((0, 0), dtype=np.float32)).search(np.array([1.0, 0.0]), 5) == []
    found = ExactVectors(ids, matrix).vectors(["d", "x", "c"])
    assert sorted(found) == ["c", "d"] and np.array_equal(found["d"], matrix[3])


@pytest.mark.integration
def test_a_small_store_is_searched_exactly_and_read_again_after_an_ingest(tmp_path, embedder):
    corpus = tmp_path / "corpus"
    for name in FILES:
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DEMO / name, corpus / name)
    settings = Settings(store=tmp_path / "store", collection=f"t-{uuid.uuid4().hex[:12]}")
    assistant = build_assistant(settings)
    assistant.__dict__["embedder"] = embedder
    assistant.ingest([corpus], progress=False)
    retriever = assistant.retriever

    exact = retriever.exact_vectors()
    ids, matrix = assistant.store.all_vectors()
    assert exact is not None and sorted(exact.ids) == sorted(ids) == sorted(assistant.catalog.all_chunk_ids())
    query = embedder.embed_query("Which countries import Venezuelan oil?")
    brute_force = [ids[i] for i in np.argsort(-(matrix @ query), kind="stable")[:10]]
    assert [hit.chunk_id for hit in retriever.dense_search(query, 10)] == brute_force

    (corpus / "note.txt").write_text("The quokka tariff on marmalade from Rottnest Island is 61 percent.\n")
    assistant.ingest([corpus], progress=False)
    assert len(retriever.exact_vectors().ids) == len(ids) + 1, "an ingest makes the vectors be read again"
    top = retriever.dense_search(embedder.embed_query("quokka tariff on marmalade"), 1)[0]
    assert assistant.catalog.chunks([top.chunk_id])[top.chunk_id].source == "note.txt"

    # a later process maps the vectors saved for this generation instead of reading them out of Chroma
    later = build_assistant(settings)
    later.__dict__["embedder"] = embedder
    later.store.all_vectors = lambda: pytest.fail("the saved vectors were not used")
    later.store.vectors = lambda ids: pytest.fail("a stored vector was read from Chroma, not from memory")
    assert [h.chunk_id for h in later.retriever.dense_search(query, 10)] == [
        h.chunk_id for h in retriever.dense_search(query, 10)]
    assert later.retriever.retrieve("What is the quokka tariff under EO 14245?", 6).chunks

    approximate = build_assistant(settings.model_copy(update={"exact_search_max_chunks": 0}))
    approximate.__dict__["embedder"] = embedder
    assert approximate.retriever.exact_vectors() is None
    assert approximate.retriever.dense_search(query, 1)[0].chunk_id == brute_force[0]
