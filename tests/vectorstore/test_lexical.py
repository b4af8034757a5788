"""BM25 tokenisation keeps identifiers whole, and the index finds documents by the identifiers users type."""

from pathlib import Path

from vectorstore.lexical import LexicalIndex, stem, tokenize


def test_identifiers_stay_whole():
    tokens = tokenize("Heading 9903.01.63 of the HTSUS; EO 14257 of April 2, 2025; section 3(b); 19 U.S.C. 2483")
    assert "9903.01.63" in tokens and "14257" in tokens and "2483" in tokens
    assert "the" not in tokens and "of" not in tokens


def test_light_stemming():
    assert stem("tariffs") == stem("tariff") == "tariff"
    assert stem("duties") == "duty"
    assert stem("process") == "process"


def test_index_search_and_rebuild(tmp_path):
    rows = [
        ("c1", "a.md", "Order A", "Articles in heading 9903.01.63 face a 125 percent duty."),
        ("c2", "b.md", "Order B", "The Secretary shall report on copper imports within 270 days."),
        ("c3", "c.md", "Order C", "Nothing in this order shall be construed to impair the law."),
        ("c4", "d.md", "Order D", "Nothing in this order shall be construed to impair the law."),
        ("c5", "e.md", "Order E", "Nothing in this order shall be construed to impair the law."),
    ]
    index = LexicalIndex(tmp_path / "lex")
    index.build(rows, generation=1)
    assert [hit.chunk_id for hit in index.search("9903.01.63", 3)] == ["c1"]
    assert index.search("copper report", 3)[0].chunk_id == "c2"
    assert index.is_boilerplate("Nothing in this order shall be construed to impair the law.")
    assert not index.is_boilerplate("The Secretary shall report on copper imports within 270 days.")
    idf = index.idf(["copper", "order"])
    assert idf["copper"] > idf["order"]

    reloaded = LexicalIndex(tmp_path / "lex")
    reloaded.ensure_current(1, lambda: [])
    assert reloaded.size == 5 and reloaded.search("9903.01.63", 1)[0].chunk_id == "c1"
    reloaded.ensure_current(2, lambda: rows[:2])
    assert reloaded.size == 2


def test_numpy_scores_match_bm25s(tmp_path):
    """The query-time scorer (numpy only) gives bm25s's own scores, on paragraphs of real orders."""
    import bm25s
    import numpy as np

    corpus = Path(__file__).resolve().parents[2] / "data" / "demo_corpus" / "eo2025" / "04-April"
    rows = []
    for path in sorted(corpus.glob("*.md"))[:12]:
        for number, paragraph in enumerate(p for p in path.read_text(encoding="utf-8").split("\n\n") if len(p) > 80):
            rows.append((f"{path.name}#{number}", path.name, path.stem, paragraph))
    index = LexicalIndex(tmp_path / "lex")
    index.build(rows, generation=1)
    reference = bm25s.BM25.load(str(tmp_path / "lex" / "bm25"))
    for query in ["Secretary of Commerce report within 90 days", "tariff duty heading 9903.01.63", "tariffs tariffs"]:
        tokens = [t for t in tokenize(query) if t in reference.vocab_dict]
        assert tokens
        expected = reference.get_scores(tokens)
        assert np.allclose(index._scores.get_scores(tokens), expected, atol=1e-5)
        hits = index.search(query, 5)
        assert [hit.chunk_id for hit in hits] == [rows[i][0] for i in np.argsort(-expected, kind="stable")[:5]]


def test_processes_sharing_a_store_never_see_a_half_swapped_index(tmp_path):
    """Writers and readers of one saved index (as the CLI ingesting while the chat UI asks) each build or load
    without error, and every load finds a whole index of the generation it names."""
    import threading

    def rows(generation):
        return [(f"g{generation}-c{i}", f"{i}.md", f"Order {i}", f"Order {i} of generation {generation} sets duty {i}.")
                for i in range(40 + generation)]

    errors: list[BaseException] = []

    def worker(offset):
        index = LexicalIndex(tmp_path / "lex")  # one instance per worker, as in separate processes
        try:
            for step in range(12):
                generation = (step + offset) % 4
                index.ensure_current(generation, lambda: rows(generation))
                found = int(index.search("duty", 1)[0].chunk_id.split("-")[0][1:])
                assert found == generation and index.size == 40 + generation
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(offset,)) for offset in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
