"""BM25 tokenisation keeps identifiers whole, and the index finds documents by the identifiers users type."""

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
