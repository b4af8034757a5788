"""End-to-end answers over the whole demo corpus, with the real bundled model and an embedded Chroma store.

The questions here are written for this test (they are not the dev questions) and each names the
document that must be cited and a fact the answer must contain.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest


pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "data" / "demo_corpus"

ANSWERABLE = [
    ("For how long does the Attorney General review FCPA enforcement guidelines under the pause order?",
     "eo2025/02-February/2025-02-10-executive-order-14209.md", "180 days"),
    ("How much did taxpayers spend at the Federal level on schools during the COVID-19 pandemic?",
     "eo2025/03-March/2025-03-20-executive-order-14242.md", "200 billion"),
    ("What share of 8th graders were below proficient in reading according to the education order?",
     "eo2025/03-March/2025-03-20-executive-order-14242.md", "70 percent"),
    ("Within how many days must agency heads send OIRA their list of regulations under the deregulatory initiative?",
     "eo2025/02-February/2025-02-19-executive-order-14219.md", "60 days"),
    ("How quickly must agencies assess their contracts with Perkins Coie?",
     "eo2025/03-March/2025-03-06-executive-order-14230.md", "30 days"),
    ("What tariff did the PRC State Council Tariff Commission announce on U.S. goods on April 9, 2025?",
     "eo2025/04-April/2025-04-09-executive-order-14266.md", "84 percent"),
    ("How many staffers work in the Department of Education's public relations office?",
     "eo2025/03-March/2025-03-20-executive-order-14242.md", "80 staffers"),
    ("Until when is enforcement of the country-specific reciprocal duties suspended?",
     "eo2025/04-April/2025-04-09-executive-order-14266.md", "July 9, 2025"),
    ("How many delegates attended the session of the India-Russia working group?",
     "seed_india_russia.txt", "80 delegates"),
    ("What does the GAO estimate the federal government loses to fraud each year?",
     "eo2025/03-March/2025-03-25-executive-order-14249.md", "521 billion"),
    ("To what rate did the April 9 order raise the duty on low-value postal items from China?",
     "eo2025/04-April/2025-04-09-executive-order-14266.md", "90 percent"),
    ("How large a share of global smelting capacity does a single foreign producer control in copper?",
     "eo2025/02-February/2025-02-25-executive-order-14220.md", "50 percent"),
]

OUT_OF_CORPUS = [
    "What is the boiling point of mercury in degrees Celsius?",
    "Who won the 2018 FIFA World Cup final?",
    "What is the recipe for a classic French omelette?",
    # no question on these subjects is among the off-topic ones the answerability model is trained on
    # (training/data/off_topic/)
    "Who composed the Four Seasons?",
    "What temperature should a turkey be roasted at?",
    "What time does the sun set in Paris in June?",
]


@pytest.fixture(scope="module")
def demo_assistant(demo_assistant_with):
    return demo_assistant_with()


def _norm(text: str) -> str:
    return "".join(text.lower().split())


def test_answers_cite_the_right_source(demo_assistant):
    """At least nine of the twelve questions get the fact, quoted from the right document, in a short answer
    (measured with the trained reader: 9; it refuses the news article's delegates question and quotes sentences
    beside the answer for the suspension date and the postal duty)."""
    failures = []
    for question, source, fact in ANSWERABLE:
        answer = demo_assistant.ask(question)
        correct = (not answer.refused and _norm(fact) in _norm(answer.answer)
                   and source in {c.source for c in answer.citations})
        assert len(answer.answer.split()) <= 120
        if not correct:
            failures.append(f"{question} -> {answer.answer[:200]}")
    assert len(ANSWERABLE) - len(failures) >= 9, "\n".join(failures)


@pytest.mark.parametrize("question", OUT_OF_CORPUS)
def test_questions_outside_the_corpus_are_refused(demo_assistant, question):
    answer = demo_assistant.ask(question)
    assert answer.refused, answer.answer
    assert answer.citations == []
    assert "closest documents" in answer.answer


def test_every_chunk_and_citation_matches_the_document_text(demo_assistant):
    catalog = demo_assistant.catalog
    texts = {doc.source: catalog.document_text(doc.source) for doc in catalog.documents()}
    rows = catalog.conn.execute('SELECT chunk_id, source, start, "end" FROM chunks').fetchall()
    stored = demo_assistant.store.collection.get(ids=[r[0] for r in rows[:5000]], include=["documents", "metadatas"])
    by_id = dict(zip(stored["ids"], zip(stored["documents"], stored["metadatas"])))
    assert len(by_id) == min(len(rows), 5000)
    for chunk_id, source, start, end in rows:
        document, metadata = by_id[chunk_id]
        assert document == texts[source][start:end]
        assert (metadata["source"], metadata["start"], metadata["end"]) == (source, start, end)
    for question, _, _ in ANSWERABLE:
        for citation in demo_assistant.ask(question).citations:
            assert citation.quote == texts[citation.source][citation.start:citation.end]


def test_a_question_about_an_order_number_no_document_mentions_is_refused(demo_assistant):
    answer = demo_assistant.ask("What duty does Executive Order 19999 set on softwood lumber?")
    assert answer.refused and answer.citations == []


def test_a_question_about_a_place_no_document_mentions_is_refused(demo_assistant):
    answer = demo_assistant.ask("What toll changes does the order make for the Panama Canal?")
    assert answer.refused and answer.citations == [] and "closest documents" in answer.answer


def test_the_answerer_reads_the_best_document_whole(demo_assistant):
    result = demo_assistant.retriever.retrieve("How was potash from Canada treated in the March 6 amendment?", 6)
    top = result.chunks[:6]
    extra = demo_assistant.retriever.neighbours(top, result.chunks, 1)
    best = top[0].source
    every_chunk = [row.chunk_id for row in demo_assistant.catalog.chunks_of_sources([best])]
    assert {c.source for c in extra} == {best}
    assert [c.chunk_id for c in extra] == [cid for cid in every_chunk if cid not in {c.chunk_id for c in top}]
    text = demo_assistant.catalog.document_text(best)
    assert all(c.text == text[c.start : c.end] for c in extra)
    assert demo_assistant.retriever.neighbours(top, result.chunks, 0) == []


def test_a_question_about_two_documents_reads_two_whole_unless_reading_whole_is_off(demo_assistant_with):
    from vectorstore.retrieval import distinct_sources

    question = demo_assistant_with().analyze("How long does the February 10 order give the Attorney General, and how "
                                              "long does the March 6 order give agencies?")
    assert question.about_two_documents and not question.named.instruments
    reading_whole = demo_assistant_with()
    result = reading_whole.retrieve(question)
    top = result.chunks[:6]
    read = {p.chunk_id for p in reading_whole.passages_to_read(result, top, about_two_documents=True)}
    for source in distinct_sources(top)[:2]:
        assert {row.chunk_id for row in reading_whole.catalog.chunks_of_sources([source])} <= read, source
    off = demo_assistant_with(expand_documents=0)
    assert off.passages_to_read(result, top, about_two_documents=True) == top


def test_a_question_that_names_a_date_finds_the_order_of_that_date(demo_assistant):
    """Twenty-six demo orders are dated January 20, 2025; the border order among them is not found without its date."""
    catalog = demo_assistant.catalog
    assert len(catalog.sources_dated(["____-01-20%"], limit=40)) == 26
    assert catalog.sources_dated(["____-01-20%"], limit=25) == []  # too many to point at one
    analysis = demo_assistant.analyze("What did the January 20 order say about the southern border?")
    top = demo_assistant.retrieve(analysis).chunks
    assert top[0].source == "eo2025/01-January/2025-01-20-executive-order-14165.md"


def test_a_question_that_names_an_order_by_number_is_answered_from_that_order(demo_assistant):
    """EO 14166 is cited by the April order that extended it, which retrieval ranks first without the number."""
    source = "eo2025/01-January/2025-01-20-executive-order-14166.md"
    assert demo_assistant.catalog.sources_titled(["14166"]) == [source]
    answer = demo_assistant.ask("Under EO 14166, how long was enforcement of the TikTok law delayed?")
    assert "75 days" in answer.answer and source in {c.source for c in answer.citations}


@pytest.mark.parametrize(
    "question, source, fact",
    [
        ("How much did taxpayers spend at the Federal level on schools during the COVID-19 pandemic, according to "
         "the March 2 order?", "eo2025/03-March/2025-03-20-executive-order-14242.md", "200 billion"),
        ("How quickly must agencies assess their contracts with Perkins Coie under the March 2 order?",
         "eo2025/03-March/2025-03-06-executive-order-14230.md", "30 days"),
        ("What does the GAO estimate the federal government loses to fraud each year, per the January 20 order?",
         "eo2025/03-March/2025-03-25-executive-order-14249.md", "521 billion"),
    ],
)
def test_a_misremembered_date_does_not_pull_the_answer_to_the_orders_of_that_date(demo_assistant, question, source, fact):
    # the orders of the named date are about other things; a date weighed too heavily answers from them or refuses
    answer = demo_assistant.ask(question)
    assert not answer.refused and fact in answer.answer
    assert {c.source for c in answer.citations} == {source}


def test_follow_up_uses_the_conversation(demo_assistant):
    history = [
        {"role": "user", "content": "What did the order pausing FCPA enforcement ask the Attorney General to do?"},
        {"role": "assistant", "content": "It asked the Attorney General to review FCPA guidelines and policies."},
    ]
    answer = demo_assistant.ask("Can that period be extended?", history)
    assert not answer.refused
    assert "eo2025/02-February/2025-02-10-executive-order-14209.md" in {c.source for c in answer.citations}


def test_no_quote_opens_with_a_bare_list_item(demo_assistant):
    """A list item whose introduction is not quoted before it ("(c) increase the per postal item …") is shown after
    "…", even when the introduction lies in an earlier chunk (issue 19 item 5's follow-up)."""
    first = "What rate applies to Chinese goods after April 10, 2025?"
    earlier = demo_assistant.ask(first)
    follow_up = demo_assistant.ask("When did that take effect?", [{"role": "user", "content": first},
                                                                  {"role": "assistant", "content": earlier.answer}])
    answers = [earlier, follow_up] + [demo_assistant.ask(question) for question, _, _ in ANSWERABLE]
    bare_item = re.compile(r"(?:^|\]\s)\([a-z0-9]{1,5}\)\s+[a-z]")
    assert [a.answer for a in answers if bare_item.search(a.answer)] == []


def test_which_order_changed_an_order_is_answered_from_the_relations(demo_assistant):
    """Issue 18: "Which order revoked X?" and "Is X still in force?" read the relations found at ingest, not the
    passages most like the question (which quote some other order's revocations)."""
    suspended = demo_assistant.ask("Which order suspended Executive Order 14257?")
    assert not suspended.refused and suspended.answer.startswith(
        "Executive Order 14257 was suspended by Executive Order 14266 of April 9, 2025 [1]"), suspended.answer
    assert suspended.citations[0].source == "eo2025/04-April/2025-04-09-executive-order-14266.md"
    standing = demo_assistant.ask("Is Executive Order 14257 still in force?")
    assert "Executive Order 14266 of April 9, 2025" in standing.answer and not standing.refused, standing.answer


def test_ask_json_cli_contract(demo_assistant):
    result = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ask", "--json", "--store", str(demo_assistant.store_dir),
         "How quickly must agencies assess their contracts with Perkins Coie?"],
        capture_output=True, text=True, cwd=REPO, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert {"question", "answer", "citations", "refused", "retrieved", "latency_ms"} <= set(data)
    citation = data["citations"][0]
    assert {"n", "source", "title", "chunk_id", "quote", "start", "end", "page", "score"} <= set(citation)
    assert citation["n"] == 1 and "[1]" in data["answer"]
    assert all({"source", "chunk_id", "score"} <= set(r) for r in data["retrieved"])


FEMA_AND_INSTITUTE = "Who co-chairs the FEMA Review Council, and which agency must eliminate the Federal Executive Institute?"
COUNCIL = "eo2025/01-January/2025-01-24-executive-order-14180.md"
INSTITUTE = "eo2025/02-February/2025-02-10-executive-order-14207.md"


@pytest.mark.xfail(strict=True, reason="known weakness: a question that names neither of its two orders (no number, "
                                        "date or year) is read as a question about one, and retrieval finds only the "
                                        "council's order")
def test_a_two_part_question_is_answered_from_both_orders(demo_assistant):
    answer = demo_assistant.ask(FEMA_AND_INSTITUTE)
    assert {c.source for c in answer.citations} == {COUNCIL, INSTITUTE}


def test_an_answer_from_an_order_later_suspended_tells_so_in_text_and_json(demo_assistant):
    answer = demo_assistant.ask("What additional ad valorem duty did Executive Order 14257 impose on all imports?")
    quoted_14257 = [c for c in answer.citations if c.source.endswith("executive-order-14257.md")]
    assert quoted_14257, "the order the question names is quoted"
    change = quoted_14257[0].later_changes[0]
    assert change["relation"] == "suspends" and change["source"].endswith("executive-order-14266.md")
    assert "suspended by Executive Order 14266 of April 9, 2025" in answer.answer
    later = next(c for c in answer.citations if c.source == change["source"] and c.start == change["start"])
    assert later.quote == demo_assistant.document_text(later.source)[later.start:later.end]


def test_history_cli_prints_the_timeline_of_an_order_by_its_number(demo_assistant):
    run = lambda *args: subprocess.run([sys.executable, "-m", "assistant.cli", "history", *args, "--store",  # noqa: E731
                                        str(demo_assistant.store_dir)], capture_output=True, text=True, cwd=REPO,
                                       timeout=300)
    result = run("EO 14257", "--json")
    assert result.returncode == 0, result.stderr
    timeline = json.loads(result.stdout)
    assert timeline["source"] == "eo2025/04-April/2025-04-02-executive-order-14257.md"
    assert any(c["relation"] == "suspends" and c["source"].endswith("14266.md") for c in timeline["acted_on_by"])
    text = run("eo2025/01-January/2025-01-20-executive-order-14148.md")
    assert text.returncode == 0 and "revokes Executive Order 13985" in text.stdout
    missing = run("99999")
    assert missing.returncode != 0 and missing.stderr.count("\n") == 1 and "policyqa docs" in missing.stderr


def test_a_question_about_a_date_reads_the_orders_in_force_then_and_the_changes_made_by_then(demo_assistant):
    """"... on April 5, 2025" asks about the state of things then: the orders of April 8 and 9 that raised the duty on
    low-value postal items from China match the question too, but are not read; without the date they are."""
    issued = lambda chunk: demo_assistant.catalog.title_date(chunk.source)[1]
    undated = demo_assistant.analyze("What duty applied to low-value postal items from China?")
    assert undated.as_of is None
    result = demo_assistant.retrieve(undated)
    assert any(issued(c) > "2025-04-05" for c in demo_assistant.passages_to_read(result, result.chunks[:6]))
    question = demo_assistant.analyze("What duty applied to low-value postal items from China on April 5, 2025?")
    assert question.as_of == "2025-04-05"
    result = demo_assistant.retrieve(question)
    read = demo_assistant.passages_to_read(result, result.chunks[:6], as_of=question.as_of)
    assert read and all(issued(c) <= "2025-04-05" for c in read)


def test_a_question_about_a_date_is_answered_from_an_order_in_force_then(demo_assistant):
    issued = lambda chunk: demo_assistant.catalog.title_date(chunk.source)[1]  # noqa: E731
    answer = demo_assistant.ask("What duty applied to low-value postal items from China on April 5, 2025?")
    assert not answer.refused and issued(answer.citations[0]) <= "2025-04-05"
