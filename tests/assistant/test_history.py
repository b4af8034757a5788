"""A document's history and the later changes an answer tells: real orders of the demo corpus in a real catalog."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from assistant.answers import Answer, Citation
from assistant.history import DocumentHistory
from vectorstore.references import NamedDocuments
from ingest.catalog import Catalog, FileEntry
from ingest.loaders import load_file

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo_corpus"


def demo_documents(*numbers: str):
    documents = []
    for number in numbers:
        path = next(DEMO.rglob(f"*{number}.md"))
        documents.extend(load_file(path, str(path.relative_to(DEMO))))
    return documents


@pytest.fixture
def history(tmp_path) -> DocumentHistory:
    catalog = Catalog(tmp_path / "catalog.sqlite3")
    documents = demo_documents("14193", "14194", "14195", "14198", "14257", "14266")
    catalog.commit_files([(FileEntry(d.source, str(DEMO), str(DEMO / d.source), d.content_hash, 1, 0, time.time()),
                           [(d, [])]) for d in documents])
    return DocumentHistory(catalog)


def test_an_order_is_found_by_its_number_or_its_source(history):
    source = "eo2025/04-April/2025-04-02-executive-order-14257.md"
    assert history.resolve("14257") == history.resolve("EO 14257") == history.resolve("Executive Order No. 14257")
    assert history.resolve(source) == [source]
    assert history.resolve("Proclamation 14257") == [] and history.resolve("99999") == []


def test_the_timeline_shows_what_acts_on_an_order_with_the_sentence_that_says_so(history):
    timeline = history.timeline("eo2025/04-April/2025-04-02-executive-order-14257.md")
    suspension = [c for c in timeline.acted_on_by if c.relation == "suspends"]
    assert [c.acting_name() for c in suspension] == ["Executive Order 14266 of April 9, 2025"]
    text = history.catalog.document_text(suspension[0].acting_source)
    assert suspension[0].quote == text[suspension[0].start:suspension[0].end]
    assert json.loads(json.dumps(timeline.to_json()))["acted_on_by"][0]["effective"] == "2025-04-10"


def test_an_order_named_only_by_its_date_is_told_apart_from_others_of_that_day_by_its_title(history):
    # three orders of February 1, 2025 are ingested; 14198 names "... (Imposing Duties to Address the Situation at
    # Our Southern Border)", which is 14194
    changes = history.later_changes("eo2025/02-February/2025-02-01-executive-order-14194.md")
    assert "eo2025/02-February/2025-02-03-executive-order-14198.md" in {c.acting_source for c in changes}
    for other in ("14193", "14195"):
        source = history.resolve(other)[0]
        assert "eo2025/02-February/2025-02-03-executive-order-14198.md" not in {
            c.acting_source for c in history.later_changes(source)}


def test_an_answer_quoting_a_changed_order_says_so_and_cites_the_later_sentence(history):
    catalog = history.catalog
    source = "eo2025/04-April/2025-04-02-executive-order-14257.md"
    text = catalog.document_text(source)
    start = text.index("Section 1")
    citation = Citation(n=1, source=source, title="Executive Order 14257", chunk_id="c1", quote=text[start:start + 40],
                        start=start, end=start + 40)
    answer = history.annotate(Answer(question="q", answer="Something. [1]", citations=[citation]))
    assert "Changes: the order of [1] was later suspended by Executive Order 14266 of April 9, 2025 [2]: “" in answer.answer
    later = answer.citations[1]
    assert later.source.endswith("14266.md") and later.quote == catalog.document_text(later.source)[later.start:later.end]
    data = answer.citations[0].to_json()
    assert data["later_changes"][0]["relation"] == "suspends" and data["later_changes"][0]["source"] == later.source
    assert "later_changes" not in later.to_json()  # nothing in the demo set changes 14266 since


def test_a_refusal_and_an_unchanged_order_get_no_later_changes(history):
    refused = Answer(question="q", answer="The documents do not answer this.", refused=True)
    assert history.annotate(refused).answer == "The documents do not answer this."
    source = "eo2025/04-April/2025-04-09-executive-order-14266.md"
    citation = Citation(n=1, source=source, title="t", chunk_id="c", quote="x", start=0, end=1)
    assert history.annotate(Answer(question="q", answer="A. [1]", citations=[citation])).answer == "A. [1]"


def test_an_answer_that_is_a_document_names_the_documents_it_quotes():
    citations = [Citation(n=1, source="eo/14198.md", title="Executive Order 14198: Progress on the Situation at Our "
                          "Southern Border", chunk_id="c1", quote="paused", start=0, end=6, date="2025-02-03"),
                 Citation(n=2, source="eo/14198.md", title="Executive Order 14198: Progress on the Situation at Our "
                          "Southern Border", chunk_id="c2", quote="March 4", start=9, end=16, date="2025-02-03"),
                 Citation(n=3, source="news/article.txt", title="India keeps buying Russian oil", chunk_id="c3",
                          quote="oil", start=0, end=3)]
    answer = DocumentHistory.name_quoted(Answer(question="Which order delayed them?", answer="… paused [1] … [2] … [3]",
                                                citations=citations))
    assert answer.answer == ("Executive Order 14198 of February 3, 2025 [1][2]; India keeps buying Russian oil [3]: "
                             "… paused [1] … [2] … [3]")
    titled = Citation(n=1, source="eo/14158.md", title="Executive Order 14158: Establishing DOGE", chunk_id="c",
                      quote="Executive Order 14158 of January 20, 2025 Establishing", start=0, end=54, date="2025-01-20")
    own_title = Answer(question="Which order established DOGE?", answer="Executive Order 14158 … [1]", citations=[titled])
    assert DocumentHistory.name_quoted(own_title).answer == "Executive Order 14158 … [1]"  # said once is enough
    refused = Answer(question="Which order?", answer="The documents do not answer this.", refused=True)
    assert DocumentHistory.name_quoted(refused).answer == "The documents do not answer this."


def test_a_change_is_in_force_on_a_date_once_made_and_effective():
    from assistant.history import Change, in_force

    change = Change("modifies", "b.md", "Executive Order 14266", "2025-04-09", "Executive Order 14256", ["a.md"],
                    "increase the rate", 0, 10, effective="2025-04-10")
    assert in_force(change, None) and in_force(change, "2025-04-10") and in_force(change, "2025-05-02")
    assert not in_force(change, "2025-04-09")  # made, not yet in effect
    retroactive = Change("modifies", "c.md", "Executive Order 14289", "2025-04-29", "Executive Order 14257", ["a.md"],
                         "applies from March 4", 0, 10, effective="2025-03-04")
    assert not in_force(retroactive, "2025-04-01")  # on April 1 the text still read otherwise


def test_an_answer_about_a_date_tells_the_change_in_force_then(tmp_path):
    from ingest.records import Document

    catalog = Catalog(tmp_path / "catalog.sqlite3")
    orders = [Document("a.md", "# Executive Order 11111: Pay\n\nSection 1. The rate is 10 percent.\n",
                       "Executive Order 11111: Pay", "2020-01-01"),
              Document("b.md", "# Executive Order 11222: Pay\n\nSection 1 of Executive Order 11111 is hereby amended "
                       "by striking 10 and inserting 20.\n", "Executive Order 11222: Pay", "2020-06-01"),
              Document("c.md", "# Executive Order 11333: Pay\n\nSection 1 of Executive Order 11111 is hereby amended "
                       "by striking 20 and inserting 30.\n", "Executive Order 11333: Pay", "2021-01-01")]
    catalog.commit_files([(FileEntry(d.source, str(tmp_path), str(tmp_path / d.source), d.source, 1, 0, time.time()),
                           [(d, [])]) for d in orders])
    history = DocumentHistory(catalog)

    def told(as_of):
        citation = Citation(n=1, source="a.md", title="Executive Order 11111", chunk_id="c", quote="x", start=0, end=1)
        return history.annotate(Answer(question="q", answer="10 percent. [1]", citations=[citation]), as_of).answer

    assert "Executive Order 11333 of January 1, 2021 [2]" in told(None)  # the current state
    assert "Executive Order 11222 of June 1, 2020 [2]" in told("2020-07-01")  # the change in force on that date
    assert "Executive Order 11333 of January 1, 2021 [2]" in told("2020-03-01")  # none yet: the later history


def test_a_question_about_an_orders_standing_is_answered_from_the_relations(history):
    def ask(question, as_of=None):
        return history.answer_from_relations(question, NamedDocuments.in_text(question).instruments, as_of)

    catalog = history.catalog
    answer = ask("Is Executive Order 14257 still in force?")
    assert answer.answer.startswith("No ingested document revokes or supersedes Executive Order 14257; later ones "
                                    "changed it. Executive Order 14257 was suspended by Executive Order 14266 of April 9, "
                                    "2025 [1]: “"), answer.answer
    # ... and then modified by it ("Pursuant to section 4(b) of Executive Order 14257, ... by modifying the HTSUS")
    assert "Executive Order 14257 was modified by Executive Order 14266 of April 9, 2025 [2]: “Pursuant to" in answer.answer
    assert len(answer.citations) == 2 and not answer.refused
    for citation in answer.citations:
        assert citation.source.endswith("14266.md")
        assert citation.quote == catalog.document_text(citation.source)[citation.start:citation.end]
    assert ask("Which order suspended EO 14257?").answer.startswith(
        "Executive Order 14257 was suspended by Executive Order 14266 of April 9, 2025 [1]")
    # an order that is not ingested is still found as the target of an ingested one
    modified = ask("Which order modified Executive Order 14256?")
    assert "Executive Order 14256 was modified by Executive Order 14266 of April 9, 2025 [1]" in modified.answer

    unchanged = ask("Is Executive Order 14266 still in force?")
    assert unchanged.answer == ("No ingested document revokes, supersedes, suspends or amends Executive Order 14266 "
                                "of April 9, 2025 [1], so as far as these documents tell it is in force.")
    own = unchanged.citations[0]
    assert own.source.endswith("14266.md") and own.quote.startswith("Executive Order 14266")
    assert own.quote == catalog.document_text(own.source)[own.start:own.end]
    before = ask("Was Executive Order 14257 in force on April 5, 2025?", as_of="2025-04-05")
    assert "[1] by April 5, 2025, so as far as these documents tell it was in force then." in before.answer

    # what the relations do not answer goes to the reader
    assert ask("Which order revoked Executive Order 14257?") is None
    assert ask("What rates does Executive Order 14257 impose?") is None
    assert ask("How long was Executive Order 14257 to stay in force?") is None
    assert ask("Is Executive Order 14257 or Executive Order 14266 still in force?") is None


def test_a_change_quoted_around_the_order_it_names_is_quoted_to_its_clauses_end(tmp_path):
    catalog = Catalog(tmp_path / "catalog.sqlite3")
    documents = demo_documents("14256", "14266")
    catalog.commit_files([(FileEntry(d.source, str(DEMO), str(DEMO / d.source), d.content_hash, 1, 0, time.time()),
                           [(d, [])]) for d in documents])
    history = DocumentHistory(catalog)
    source = next(d.source for d in documents if d.source.endswith("14256.md"))
    text = catalog.document_text(source)
    start = text.index("30 percent of the value")
    stored = [c for c in history.later_changes(source) if "120" in c.quote]
    assert stored and stored[0].quote.endswith("from 90 percent to 120 percent;")
    citation = Citation(n=1, source=source, title="Executive Order 14256", chunk_id="c", quote=text[start:start + 40],
                        start=start, end=start + 40)
    answer = history.annotate(Answer(question="q", answer="30 percent. [1]", citations=[citation]))
    assert "from 90 percent to 120 percent;”" in answer.answer
    later = answer.citations[1]
    assert later.quote == catalog.document_text(later.source)[later.start:later.end]
    assert later.quote.endswith("120 percent;")
