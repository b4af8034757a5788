"""Citation checking of written answers (assistant/citations.py).

A real language model cannot run in CI here, so these tests feed the checker the kind of text a
model writes; the embedder is the real bundled all-MiniLM-L6-v2 and the sources are two real
documents of data/demo_corpus, read from disk, with chunks at their real offsets.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.citations import (
    CheckConfig,
    answer_sentences,
    candidate_spans,
    check_answer,
    is_refusal,
    marker_numbers,
    strip_markers,
)
from vectorstore.hits import RetrievedChunk

CORPUS = Path(__file__).resolve().parents[2] / "data" / "demo_corpus"
INDIA = "seed_india_russia.txt"
EO = "eo2025/04-April/2025-04-02-executive-order-14257.md"


@pytest.fixture(scope="module")
def chunks(chunk_between) -> list[RetrievedChunk]:
    return [
        chunk_between(INDIA, "New Delhi: India and Russia", "especially energy, and its expanding role in blocs like Brics.", "India, Russia sign industrial protocol"),
        chunk_between(EO, "By the authority vested in me", "I hereby declare a national emergency with respect to this threat.", "Executive Order 14257"),
        chunk_between(INDIA, "US President Donald Trump has announced", "one-third of its total overseas purchases.", "India, Russia sign industrial protocol"),
    ]


@pytest.fixture(scope="module")
def embed(embedder):
    return embedder.embed


def assert_quotes_verbatim(checked, documents):
    assert checked.citations, "expected citations"
    for citation in checked.citations:
        assert citation.quote == documents[citation.source][citation.start : citation.end]
        assert citation.quote.strip() == citation.quote and citation.quote


# -- pure helpers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("marker", "numbers"),
    [("[1]", [1]), ("[1, 3]", [1, 3]), ("[2-4]", [2, 3, 4]), ("[Source 2]", [2]), ("[1; 1]", [1]), ("[x]", []), ("[1]x", [])],
)
def test_marker_numbers(marker, numbers):
    assert marker_numbers(marker) == numbers


def test_strip_markers_leaves_no_space_before_punctuation():
    assert strip_markers("Tariffs rose [1][2]. ") == "Tariffs rose."
    assert strip_markers("A [1, 2], then B [3].") == "A, then B."


def test_markers_after_the_full_stop_stay_with_their_sentence():
    text = "The order declares an emergency. [2] India signed a protocol [1].\n\n- Nearly 80 delegates attended. [1]"
    sentences = [text[s:e] for s, e in answer_sentences(text)]
    assert sentences == ["The order declares an emergency. [2]", "India signed a protocol [1].", "- Nearly 80 delegates attended. [1]"]


@pytest.mark.parametrize(
    "text",
    ["The documents do not answer this.", "The provided documents don't answer this question.", "The sources do not contain the answer."],
)
def test_refusal_phrases(text):
    assert is_refusal(text)


def test_answers_are_not_refusals():
    assert not is_refusal("The order does not answer to Congress; it declares an emergency [1].")
    assert not is_refusal("India and Russia signed a protocol [1].")


def test_candidate_spans_are_verbatim_inside_the_chunk(chunks, documents):
    chunk = chunks[1]
    text = documents[chunk.source]
    spans = candidate_spans(text, chunk.start, chunk.end)
    assert spans
    for start, end in spans:
        assert chunk.start <= start < end <= chunk.end
        assert text[start:end] == text[start:end].strip()
    assert any(text[s:e] == "I hereby declare a national emergency with respect to this threat." for s, e in spans)


# -- the check -------------------------------------------------------------------------------------


def test_supported_claims_are_renumbered_in_order_of_first_use(chunks, documents, embed):
    raw = (
        "The President declared a national emergency with respect to this threat [2]. "
        "India and Russia signed a new protocol to boost industrial cooperation in aluminium, fertilisers, railways and mining [1]. "
        "Nearly 80 delegates from both sides discussed collaboration in aerospace and rare earths [1]."
    )
    checked = check_answer(raw, chunks, embed, documents.get)
    assert [s["supported"] for s in checked.sentences_json()] == [True, True, True]
    assert [c.n for c in checked.citations] == [1, 2, 3]
    assert [c.source for c in checked.citations] == [EO, INDIA, INDIA]
    assert checked.citations[0].quote == "I hereby declare a national emergency with respect to this threat."
    assert "signed a new protocol" in checked.citations[1].quote
    assert "80 delegates" in checked.citations[2].quote
    assert [s["citations"] for s in checked.sentences_json()] == [[1], [2], [3]]
    assert checked.text.startswith("The President declared a national emergency with respect to this threat [1]. India")
    assert checked.text.endswith("aerospace and rare earths [3].")
    assert_quotes_verbatim(checked, documents)


def test_a_marker_naming_no_source_is_removed(chunks, documents, embed):
    raw = "India and Russia signed a new protocol to boost industrial cooperation [1][9]. Brics was mentioned [9]."
    checked = check_answer(raw, chunks, embed, documents.get)
    assert "[9]" not in checked.text
    assert checked.removed_markers == [9, 9]
    first, second = checked.sentences_json()
    assert first == {"text": "India and Russia signed a new protocol to boost industrial cooperation.", "citations": [1], "supported": True}
    assert second["citations"] == [] and second["supported"] is False
    assert checked.text.startswith("India and Russia signed a new protocol to boost industrial cooperation [1]. Brics was mentioned.")
    assert_quotes_verbatim(checked, documents)


def test_an_invented_claim_is_flagged_but_keeps_its_text(chunks, documents, embed):
    raw = (
        "US President Donald Trump announced a 50% tariff on Indian exports [3]. "
        "Russia will deliver fighter jets to India under the protocol [1]."
    )
    checked = check_answer(raw, chunks, embed, documents.get)
    supported = [s["supported"] for s in checked.sentences_json()]
    assert supported == [True, False]
    assert checked.text.endswith("Russia will deliver fighter jets to India under the protocol [2]. [unsupported]")
    assert checked.supported_claims == 1 and checked.unsupported_claims == 1
    assert_quotes_verbatim(checked, documents)


def test_a_claim_with_a_number_the_source_does_not_have_is_unsupported(chunks, documents, embed):
    checked = check_answer("Trump announced a punitive 25% tariff on Indian exports [3].", chunks, embed, documents.get)
    assert checked.sentences_json()[0]["supported"] is False
    relaxed = check_answer("Trump announced a punitive 25% tariff on Indian exports [3].", chunks, embed, documents.get,
                           CheckConfig(require_numbers=False))
    assert relaxed.sentences_json()[0]["supported"] is True


def test_uncited_claims_are_unsupported_and_connectives_are_not_claims(chunks, documents, embed):
    raw = "In short: India ramped up crude oil imports from Russia since 2022. Trump announced a punitive 50% tariff on Indian exports [3]."
    checked = check_answer(raw, chunks, embed, documents.get)
    by_text = {s.text: s for s in checked.sentences}
    assert len(checked.sentences) == 2
    uncited = checked.sentences[0]
    assert uncited.is_claim and not uncited.supported and uncited.citations == []
    assert "[unsupported]" in checked.text.split("Trump")[0]
    assert by_text["Trump announced a punitive 50% tariff on Indian exports."].supported
    connective = check_answer("In short:", chunks, embed, documents.get)
    assert connective.sentences_json() == [{"text": "In short:", "citations": [], "supported": True}]
    stray = check_answer("[3]", chunks, embed, documents.get)
    assert stray.sentences_json() == [] and stray.citations == [] and stray.text == ""


def test_the_refusal_sentence_is_recognised(chunks, documents, embed):
    checked = check_answer("The documents do not answer this.", chunks, embed, documents.get)
    assert checked.refusal and checked.citations == []
    mixed = check_answer("The documents do not answer this fully. India and Russia signed a new protocol to boost industrial cooperation [1].",
                         chunks, embed, documents.get)
    assert not mixed.refusal and mixed.supported_claims == 1


def test_thresholds_are_parameters(chunks, documents, embed):
    raw = "India and Russia signed a new protocol to boost industrial cooperation [1]."
    strict = check_answer(raw, chunks, embed, documents.get, CheckConfig(lexical_threshold=1.01, cosine_threshold=1.01))
    assert strict.sentences_json()[0]["supported"] is False
    lenient = check_answer("Something about Brics and energy policy [1].", chunks, embed, documents.get,
                           CheckConfig(lexical_threshold=0.0, cosine_threshold=0.0, support_threshold=0.0))
    assert lenient.sentences_json()[0]["supported"] is True


def test_quotes_come_from_the_chunk_text_when_the_document_text_is_unknown(chunks, documents, embed):
    checked = check_answer("I hereby declare a national emergency with respect to this threat [2].", chunks, embed, lambda source: None)
    citation = checked.citations[0]
    assert citation.quote == "I hereby declare a national emergency with respect to this threat."
    assert citation.quote == documents[EO][citation.start : citation.end]


def test_reasoning_blocks_are_dropped(chunks, documents, embed):
    checked = check_answer("<think>Source 2 says [7] things.</think>I hereby declare a national emergency with respect to this threat [2].",
                           chunks, embed, documents.get)
    assert checked.text == "I hereby declare a national emergency with respect to this threat [1]."
    assert checked.removed_markers == []
