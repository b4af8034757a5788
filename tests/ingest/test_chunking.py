"""Chunking follows structure, stays within the model's token limit and keeps exact offsets."""

from pathlib import Path

import pytest

from ingest.chunking import Chunker
from ingest.loaders import load_file
from ingest.records import Document, PageSpan

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo_corpus"
EO_14266 = DEMO / "eo2025/04-April/2025-04-09-executive-order-14266.md"


@pytest.fixture(scope="module")
def tokenizer_counts():
    from vectorstore.embeddings import Embedder

    return Embedder().count_tokens


def test_chunks_have_exact_offsets_and_structure(tokenizer_counts):
    doc = load_file(EO_14266, "eo.md")[0]
    chunks = Chunker(tokenizer_counts, target_tokens=160, max_tokens=254).chunk(doc)
    assert len(chunks) > 5
    for chunk in chunks:
        assert doc.text[chunk.start:chunk.end] == chunk.text
    headings = {c.heading for c in chunks}
    assert "Executive Order 14266 > Section 2." in headings
    section2 = [c for c in chunks if c.heading.endswith("Section 2.")]
    assert any("April 10, 2025" in c.text for c in section2)
    assert not any(c.text.startswith("- [Federal Register]") for c in chunks), "link lists under Sources are noise"


def test_chunks_never_exceed_token_limit(tokenizer_counts):
    long_sentence = " ".join(f"heading 9903.01.{i:02d} applies" for i in range(400))
    doc = Document(source="long.txt", text=f"Intro.\n\n{long_sentence}.\n\nOutro paragraph here.")
    chunks = Chunker(tokenizer_counts, target_tokens=100, max_tokens=128).chunk(doc)
    counts = tokenizer_counts([c.text for c in chunks])
    assert max(counts) <= 128
    assert all(doc.text[c.start:c.end] == c.text for c in chunks)
    covered = "".join(c.text for c in chunks).replace(" ", "")
    assert "9903.01.399" in covered


def test_demo_corpus_chunks_within_model_limit(tokenizer_counts):
    chunker = Chunker(tokenizer_counts, target_tokens=160, max_tokens=254)
    for path in sorted(DEMO.rglob("*.md"))[:40]:
        doc = load_file(path, path.name)[0]
        chunks = chunker.chunk(doc)
        assert chunks, path
        assert max(tokenizer_counts([c.text for c in chunks])) <= 254


def test_a_heading_line_that_carries_its_sections_text_keeps_it(tokenizer_counts):
    # as older orders (and a few of 2025) are printed: "### Section 1. (a) All property ..." on one line
    doc = load_file(DEMO / "eo2025/02-February/2025-02-06-executive-order-14203.md", "eo.md")[0]
    chunks = Chunker(tokenizer_counts).chunk(doc)
    section1 = [c for c in chunks if c.heading.endswith("Section 1.")]
    assert section1 and section1[0].text.startswith("Section 1. (a) All property and interests in property")
    text = ("## Executive Order 12364\n\n### Section 5. — Claims by or against the United States\n\n"
            "Claims are settled by the Secretary.\n\n### Section 7. Executive Order No 12008 of August 25, 1977 is "
            "revoked.\n\nRONALD REAGAN")
    chunks = Chunker(tokenizer_counts).chunk(Document(source="old.md", text=text))
    assert [(c.heading, c.text) for c in chunks] == [
        ("Executive Order 12364 > Section 5. — Claims by or against the United States",
         "Claims are settled by the Secretary."),
        ("Executive Order 12364 > Section 7.",
         "Section 7. Executive Order No 12008 of August 25, 1977 is revoked.\n\nRONALD REAGAN"),
    ]


def test_ids_are_deterministic_and_distinct(tokenizer_counts):
    doc = load_file(EO_14266, "eo.md")[0]
    chunker = Chunker(tokenizer_counts)
    first = [c.chunk_id for c in chunker.chunk(doc)]
    second = [c.chunk_id for c in chunker.chunk(load_file(EO_14266, "eo.md")[0])]
    assert first == second
    assert len(set(first)) == len(first)
    other_source = [c.chunk_id for c in chunker.chunk(load_file(EO_14266, "copy.md")[0])]
    assert not set(first) & set(other_source)


def test_repeated_paragraphs_get_distinct_ids(tokenizer_counts):
    para = "This exact paragraph appears twice in the document and says nothing else of note."
    doc = Document(source="dup.txt", text=f"## A\n\n{para}\n\n## B\n\n{para}")
    chunks = Chunker(tokenizer_counts).chunk(doc)
    assert len(chunks) == 2 and chunks[0].text == chunks[1].text
    assert chunks[0].chunk_id != chunks[1].chunk_id


def test_pages_are_assigned(tokenizer_counts):
    page1 = "First page text. " * 30
    page2 = "Second page text. " * 30
    text = page1.strip() + "\n\n" + page2.strip()
    split = len(page1.strip())
    doc = Document(source="p.pdf", text=text, pages=[PageSpan(1, 0, split), PageSpan(2, split + 2, len(text))])
    chunks = Chunker(tokenizer_counts, target_tokens=60).chunk(doc)
    assert {c.page for c in chunks} == {1, 2}
    assert all(c.page == (1 if c.start < split else 2) for c in chunks)
