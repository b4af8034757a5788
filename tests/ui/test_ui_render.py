"""Pure rendering and upload-naming helpers of the UI: escaping, evidence in context, safe file names."""

from __future__ import annotations

import html
import re

import pytest

from assistant import ui_render as ui
from assistant.answers import Answer, Citation
from ingest.catalog import DocumentInfo
from vectorstore.hits import RetrievedChunk

pytestmark = [pytest.mark.ui]

HOSTILE = 'Fee <img src=x onerror="window.__pwned=1"> and <script>alert(1)</script> ![t](http://e.invalid/x.png) [l](javascript:alert(2)) **b** `c` $$x$$ https://e.invalid'
DOC = "Intro paragraph.\n\n" + "Lead text before the quote. " * 12 + HOSTILE + " Trailing words after the quote. " * 12 + "\n\nLast paragraph."


def _answer(refused: bool = False) -> Answer:
    start = DOC.index(HOSTILE)
    citation = Citation(n=1, source="docs/<b>evil</b>.md", title='Memo <script>alert("t")</script>', chunk_id="c1",
                        quote=HOSTILE, start=start, end=start + len(HOSTILE), heading="Part A > Sec. <i>2</i>", date="2025-03-03")
    chunk = RetrievedChunk(chunk_id="c1", source=citation.source, title=citation.title, text=DOC[18:-17], start=18,
                           end=len(DOC) - 17, heading=citation.heading, date="2025-03-03", score=0.5)
    text = "The documents do not answer this question." if refused else f"{HOSTILE} [1]"
    return Answer(question="Q <img src=x>?", answer=text, citations=[] if refused else [citation], refused=refused,
                  retrieved=[chunk], latency_ms=120.0)


def _assert_inert(rendered: str) -> None:
    assert "\n" not in rendered
    for forbidden in ("<img", "<script", "onerror=", "javascript:", "](", "![", "**", "`", "$$", "https://"):
        assert forbidden not in rendered, forbidden


def test_answer_message_escapes_everything_from_documents():
    rendered = ui.render_answer(_answer(), {"docs/<b>evil</b>.md": DOC})
    _assert_inert(rendered)
    tags = set(re.findall(r"<([a-z0-9]+)", rendered))
    assert tags <= {"div", "sup", "details", "summary", "span", "mark", "br"}, tags
    assert 'class="pq-ref"' in rendered and "&#91;1&#93;" in rendered  # the [1] marker, as a badge
    assert rendered.count("<mark>") == 2  # in context and in the full passage
    shown = html.unescape(re.sub(r"<[^>]+>", "", rendered))  # the text a browser shows
    assert "Sec. <i>2</i>" in shown and "2025-03-03" in shown and 'Memo <script>alert("t")</script>' in shown
    assert HOSTILE in shown


def test_source_card_shows_about_200_characters_around_the_quote():
    citation = _answer().citations[0]
    before, quote, after, left, right = ui.context_window(DOC, citation.start, citation.end)
    assert quote == HOSTILE and left and right
    assert 150 <= len(before) <= 200 and 150 <= len(after) <= 200


def test_refusal_is_styled_and_lists_closest_documents_once():
    from assistant.extractive import refusal

    refused = _answer(refused=True)
    refused.answer = refusal(refused.question, refused.retrieved).answer
    assert "The closest documents are: Memo" in refused.answer  # the text the command line prints names them ...
    rendered = ui.render_answer(refused, {})
    _assert_inert(rendered)
    assert "pq-refusal" in rendered and "Closest documents" in rendered
    assert "evil" in rendered and "<b>" not in rendered
    assert "The closest documents are" not in rendered and rendered.count("pq-src") == 1  # ... the card lists them once


def test_streaming_and_user_messages_are_escaped():
    for rendered in (ui.render_pending(HOSTILE), ui.render_user_message(HOSTILE), ui.render_error(HOSTILE)):
        _assert_inert(rendered)


def test_library_table_escapes_titles_and_sources():
    doc = DocumentInfo(source="a/<img src=x>.md", file_source="a/<img src=x>.md", title=HOSTILE, date="2025-01-02",
                       url=None, doc_type="markdown", n_chunks=3, ingested_at=1_700_000_000.0, chars=10)
    other = DocumentInfo(source="b.md", file_source="b.md", title="Plain", date=None, url=None, doc_type="markdown",
                         n_chunks=1, ingested_at=1_700_000_000.0, chars=5)
    table = ui.render_library([doc, other], "")
    _assert_inert(table)
    assert table.count("<tr>") == 3
    assert ui.render_library([doc, other], "plain").count("<tr>") == 2
    assert [value for _, value in ui.document_choices([doc, other], "fee")] == ["a/<img src=x>.md"]


def test_export_markdown_has_citations_and_no_live_markup():
    markdown = ui.render_export_markdown([_answer(), _answer(refused=True)], "2025-11-25 10:00")
    assert "## 1. Q \\<img src=x\\>?" in markdown
    assert "[1]" in markdown and "docs/\\<b\\>evil\\</b\\>.md" in markdown
    assert "   > Fee \\<img" in markdown
    assert "](" not in markdown.replace("\\](", "") and "<img" not in markdown.replace("\\<img", "")
    assert "**Not answered.**" in markdown


@pytest.mark.parametrize(
    "name, expected",
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\evil.md", "evil.md"),
        ("/abs/path/.hidden.md", "hidden.md"),
        ("a b<c>(1).MD", "a_b_c_1.md"),
        ("..", "upload"),
        ("", "upload"),
        ("résumé ünïcode.txt", "resume_unicode.txt"),
    ],
)
def test_safe_upload_name(name, expected):
    import app

    assert app.safe_upload_name(name) == expected


def test_stage_upload_stays_in_the_folder_and_avoids_collisions(tmp_path):
    import app

    uploads = tmp_path / "store" / "uploads"
    src = tmp_path / "in.txt"
    src.write_text("one", encoding="utf-8")
    first, reused = app.stage_upload(uploads, src, "../../../outside.txt", set())
    assert first == uploads.resolve() / "outside.txt" and not reused
    same, reused = app.stage_upload(uploads, src, "outside.txt", set())
    assert same == first and reused
    src.write_text("two", encoding="utf-8")
    second, _ = app.stage_upload(uploads, src, "outside.txt", set())
    assert second.name == "outside-1.txt"
    taken, _ = app.stage_upload(uploads, src, "corpus.txt", {"corpus.txt"})
    assert taken.name == "corpus-1.txt"
    assert sorted(p.name for p in uploads.iterdir()) == ["corpus-1.txt", "outside-1.txt", "outside.txt"]
    assert not (tmp_path / "outside.txt").exists()


def test_check_upload_reasons(tmp_path):
    import app

    small = tmp_path / "a.md"
    small.write_text("hello", encoding="utf-8")
    assert app.check_upload(small, "a.md", 1, frozenset({".md"})) is None
    assert "unsupported file type .exe" in app.check_upload(small, "a.exe", 1, frozenset({".md"}))
    assert "too large" in app.check_upload(small, "a.md", 0.000001, frozenset({".md"}))


def test_auth_and_loopback_helpers():
    import app

    assert app.parse_auth("ann:s3:cret") == ("ann", "s3:cret")
    assert app.parse_auth(None) is None
    with pytest.raises(ValueError):
        app.parse_auth("nopassword")
    assert app.is_loopback("127.0.0.1") and app.is_loopback("localhost") and app.is_loopback("::1")
    assert not app.is_loopback("0.0.0.0") and not app.is_loopback("192.168.1.5")
    assert not app.is_loopback("::") and app.is_loopback("[::1]")
    assert [app.bind_address(h) for h in ("::", "::1", "[::1]", "127.0.0.1", "0.0.0.0", "localhost")] == [
        "[::]", "[::1]", "[::1]", "127.0.0.1", "0.0.0.0", "localhost"]


def test_the_document_panel_shows_the_whole_document_as_text_with_the_quote_marked():
    citation = _answer().citations[0]
    panel = ui.render_document_panel(citation, DOC)
    _assert_inert(panel)
    assert panel.count('<mark id="pq-hit">') == 1 and "Intro paragraph" in panel and "Last paragraph" in panel
    assert "&lt;i&gt;2&lt;/i&gt;" in panel  # the section path, as text
    gone = ui.render_document_panel(citation, None)
    assert "changed or was removed" in gone and '<mark id="pq-hit">' in gone


def test_markers_and_cards_open_their_citation_only_when_the_answer_has_a_place_in_the_session():
    rendered = ui.render_answer(_answer(), {"docs/<b>evil</b>.md": DOC}, answer_index=3)
    _assert_inert(rendered)
    assert rendered.count("pq-cite-3-1") == 2  # the [1] marker and its card's "Open in document"
    assert "pq-preview" in rendered
    assert "pq-cite-" not in ui.render_answer(_answer(), {"docs/<b>evil</b>.md": DOC})


def test_the_whole_passage_holds_at_least_the_snippet_above_it():
    citation = _answer().citations[0]
    short_chunk = RetrievedChunk(chunk_id="c1", source=citation.source, title="t", text=DOC[citation.start: citation.end],
                                 start=citation.start, end=citation.end)
    card = ui.render_source_card(citation, DOC, [short_chunk])
    snippet, passage = card.split('<div class="pq-context">')[1].split('<details class="pq-more">')
    words = lambda text: re.sub(r"<[^>]+>", " ", text).split()  # noqa: E731
    assert len(words(passage)) >= len(words(snippet))


def test_a_conversation_kept_in_the_browser_comes_back_and_a_damaged_one_starts_afresh():
    from dataclasses import asdict

    import app

    class Documents:
        def document_text(self, source):
            return DOC

    answer = _answer()
    session = app.ChatSession(history=[{"role": "user", "content": "Q"}, {"role": "assistant", "content": answer.answer}],
                              answers=[answer])
    restored = app.session_from_browser(Documents(), app.session_to_browser(session))
    assert [asdict(a) for a in restored.answers] == [asdict(answer)] and restored.history == session.history
    assert len(restored.messages) == 2 and "pq-cite-0-1" in restored.messages[1]["content"]
    _assert_inert(restored.messages[1]["content"])
    for damaged in (None, {}, {"answers": [{"question": 1}]}, {"answers": "x"}, {"history": [{"role": "user"}]}):
        assert app.session_from_browser(Documents(), damaged).answers == []


def test_example_questions_come_from_the_newest_documents():
    def doc(source, title, date):
        return DocumentInfo(source=source, file_source=source, title=title, date=date, url=None, doc_type="markdown",
                            n_chunks=1, ingested_at=0.0, chars=100)

    docs = [doc("a.md", "Executive Order 14001: Protecting the Harbors of the Pacific Coast and Their Workers", "2025-01-02"),
            doc("b.md", "Executive Order 14002: Ports", "2025-02-01"), doc("news.txt", "Ports reopen after the strike", None)]
    assert ui.example_questions(docs) == [
        "What does Executive Order 14002 (Ports) require?",
        "What does Executive Order 14001 (Protecting the Harbors of the Pacific Coast and Their…) require?",
        "What does “Ports reopen after the strike” say?",
    ]
    assert ui.example_questions([]) == []


def test_a_card_links_the_later_changes_of_its_document_and_the_panel_shows_its_timeline():
    from assistant.history import Change, Timeline

    answer = _answer()
    cited = answer.citations[0]
    later = Citation(n=2, source="later<script>.md", title="Executive Order 2: <b>x</b>", chunk_id="c9",
                     quote="Executive Order 1 is <i>revoked</i>.", start=0, end=36, date="2025-01-20")
    cited.later_changes = [{"relation": "revokes", "source": later.source, "title": later.title, "date": later.date,
                            "quote": later.quote, "start": 0, "end": 36}]
    answer.citations.append(later)
    rendered = ui.render_answer(answer, {cited.source: DOC}, answer_index=0)
    _assert_inert(rendered)
    shown = html.unescape(rendered)
    assert "Later: " in shown and "revoked by Executive Order 2 (2025-01-20) [2]" in shown
    assert "pq-later-link pq-open pq-cite-0-2" in rendered
    change = Change("revokes", later.source, later.title, later.date, "Executive Order 1", [cited.source], later.quote,
                    0, 36)
    timeline = Timeline(cited.source, cited.title, None, acts_on=[], acted_on_by=[change])
    panel = ui.render_document_panel(cited, DOC, timeline)
    _assert_inert(panel)
    assert all(part in html.unescape(panel) for part in ("Timeline", "revoked by", "2025-01-20"))
    assert "Timeline" not in ui.render_document_panel(cited, DOC, Timeline(cited.source, "", None))
