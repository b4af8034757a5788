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


def _order(number: int, date: str, text: str) -> str:
    return f"# Executive Order {number}: Mutual Defense Assistance\n\nDate: {date}\n\nSection 1. {text}\n"


@pytest.mark.integration
@pytest.mark.parametrize("exact_max_chunks", [10000, 0], ids=["exact", "approximate"])
def test_a_question_about_two_orders_named_by_year_reads_the_best_order_of_each_year(tmp_path, embedder,
                                                                                      exact_max_chunks):
    from vectorstore.references import NamedDocuments, YearMention

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "eo-10099.md").write_text(_order(10099, "January 27, 1950", "The Secretary of State shall perform the "
                                               "functions vested in the President by the Mutual Defense Assistance Act."))
    (corpus / "eo-10300.md").write_text(_order(10300, "November 1, 1951", "The functions conferred by the Mutual "
                                               "Defense Assistance Act are delegated to the Director for Mutual Security."))
    for n in range(6):  # later orders on the same act, worded more like the question than the 1950 one
        (corpus / f"eo-{11000 + n}.md").write_text(_order(11000 + n, f"March {n + 1}, 1960", "Who administers the "
                                                          "Mutual Defense Assistance Act, and who took over its functions under "
                                                          "the orders of 1950 and 1951? The Mutual Defense Assistance "
                                                          f"Act is administered by Board {n}."))
    (corpus / "eo-10400.md").write_text(_order(10400, "June 1, 1950", "The Secretary of Agriculture shall report on "
                                               "wheat storage."))
    settings = Settings(store=tmp_path / "store", collection=f"t-{uuid.uuid4().hex[:12]}",
                        exact_search_max_chunks=exact_max_chunks)
    assistant = build_assistant(settings)
    assistant.__dict__["embedder"] = embedder
    assistant.ingest([corpus], progress=False)
    question = "Who administered the Mutual Defense Assistance Act under the 1950 order, and who under the 1951 one?"

    plain = assistant.retriever.retrieve(question, 3, named=NamedDocuments.in_text(question))
    assert "eo-10099.md" not in {c.source for c in plain.chunks[:3]}, "the 1960 orders crowd out the 1950 one"
    by_year = assistant.retriever.retrieve(question, 3, named=NamedDocuments.in_text(question, years=True))
    assert {"eo-10099.md", "eo-10300.md"} <= set(by_year.named_sources)
    assert "eo-10400.md" not in by_year.named_sources, "the 1950 order on the act, not the other one of 1950"
    assert {"eo-10099.md", "eo-10300.md"} <= {c.source for c in by_year.chunks}
    # a year that is part of a date ("June 1950") means a document of that date, however the question reads
    june = YearMention(1950, "1950-06-__%", "")
    assert assistant.retriever._best_of_year(june, by_year.query_vector)[0] == "eo-10400.md"
