"""What the reader may quote: the candidate units of small hand-made documents (sentences, list items with their
introductions, windows of long sentences, a sentence with the one it points back to), the parts of a question, the
short forms a document defines, and the quoted answer and refusal built from them."""

from __future__ import annotations

import pytest

from assistant.extractive import Candidate, CandidateFinder, _is_heading, _list_intros, quoted_answer, refusal
from ingest.text import split_sentences
from vectorstore.hits import RetrievedChunk

DOC = """# Executive Order 1: Ports

**Purpose**

Sec. 5. Shipbuilding.

(b) The USTR shall consider proposing the following actions:
    (i) tariffs on ship-to-shore cranes made with foreign components; and
    (ii) tariffs on other cargo handling equipment.

(c) Within 90 days of the date of this order, the Secretary shall submit a draft report to the Council.

(d) Comments on the draft report shall be returned within 15 days of its submission.

The Council shall meet every month to review port security.
"""


@pytest.fixture()
def finder() -> CandidateFinder:
    return CandidateFinder(document_text=lambda source: DOC if source == "ports.md" else None)


def whole_document_chunk(heading: str = "") -> RetrievedChunk:
    return RetrievedChunk(chunk_id="c1", source="ports.md", title="Executive Order 1: Ports", text=DOC,
                          start=0, end=len(DOC), heading=heading, dense_score=0.5)


def one_document(text: str, title: str = "Order", source: str = "doc.md") -> tuple[RetrievedChunk, CandidateFinder]:
    """A chunk spanning the whole of one document, and a finder that reads only that document."""
    chunk = RetrievedChunk(chunk_id=source, source=source, title=title, text=text, start=0, end=len(text))
    return chunk, CandidateFinder(document_text=lambda _: text)


def span_of(text: str, part: str) -> tuple[int, int]:
    start = text.index(part)
    return start, start + len(part)


@pytest.mark.parametrize(
    ("part", "expected"),
    [
        ("# Executive Order 1: Ports", True),
        ("**Purpose**", True),
        ("Sec. 5. Shipbuilding", False),  # ends with a full stop: read as a sentence
        ("The Council shall meet every month to review port security.", False),
        ("(ii) tariffs on other cargo handling equipment.", False),
    ],
)
def test_is_heading(part, expected):
    start, end = span_of(DOC, part)
    assert _is_heading(DOC, start, end) is expected


def test_short_line_without_closing_punctuation_is_a_heading():
    text = "Intro.\nContinuing the Reduction of the Federal Bureaucracy\nBody text follows here."
    assert _is_heading(text, *span_of(text, "Continuing the Reduction of the Federal Bureaucracy"))


def test_a_sentence_that_lost_its_period_is_no_heading():
    text = ("Sec. 4.\nThe Director of the Office of Personnel Management shall take such actions as may be necessary "
            "to implement this order\nSec. 5.\nThis order is effective immediately\n")
    assert not _is_heading(text, *span_of(text, "The Director of the Office of Personnel Management shall take such "
                                                "actions as may be necessary to implement this order"))
    assert not _is_heading(text, *span_of(text, "This order is effective immediately"))


def test_list_items_know_their_introduction():
    sentences = split_sentences(DOC)
    intros = _list_intros(DOC, sentences)
    items = {DOC[s:e].split()[0]: intros.get(i) for i, (s, e) in enumerate(sentences) if DOC[s:e].startswith("(")}
    intro = span_of(DOC, "(b) The USTR shall consider proposing the following actions:")
    assert items["(i)"] == intro  # "(i) …; and (ii) …" is one sentence
    assert items["(b)"] is None and items["(c)"] is None and items["(d)"] is None


def test_items_numbered_in_another_style_belong_to_an_enumerated_intro_without_indentation():
    text = ("(b) The USTR shall consider the following actions:\n(i) tariffs on ship-to-shore cranes;\n"
            "(ii) tariffs on other cargo handling equipment.\n(c) The Secretary shall report within 90 days.")
    sentences = split_sentences(text)
    intros = _list_intros(text, sentences)
    intro = span_of(text, "(b) The USTR shall consider the following actions:")
    labelled = {text[s:e].split()[0]: intros.get(i) for i, (s, e) in enumerate(sentences)}
    assert labelled["(i)"] == intro and labelled["(c)"] is None


def test_candidates_skip_headings_and_carry_list_context(finder):
    candidates = finder.candidates([whole_document_chunk()])
    texts = [c.text for c in candidates]
    assert "# Executive Order 1: Ports" not in texts and "**Purpose**" not in texts
    crane = next(c for c in candidates if c.text.startswith("(i) tariffs on ship-to-shore cranes"))
    assert {"ustr", "consider"} <= crane.context
    for candidate in candidates:
        assert DOC[candidate.start : candidate.end] == candidate.text


def test_what_the_federal_register_prints_around_an_order_is_never_quoted():
    text = ("Sec. 5. Ceiling. The program shall admit no more than 125,000 refugees.\n\n"
            "Trump.EPS THE WHITE HOUSE, January 20, 2025.\n\n"
            "[FR Doc. 2025-02011 Filed 1-29-25; 8:45 am] Billing code 3395-F4-P\n")
    chunk, finder = one_document(text, "Order", "fr.md")
    assert [c.text for c in finder.candidates([chunk])] == ["The program shall admit no more than 125,000 refugees."]


def test_a_last_sentence_without_its_period_is_offered_without_the_signature_glued_to_it():
    # as older orders are printed: the closing sentence runs into the signature and the Federal Register's lines
    text = ("### Section 10.\n\nThis order shall be effective September 30, 2005\nB\nTHE WHITE HOUSE,\n"
            "September 29, 2005.\n[FR Doc. 05-19993\nFiled 10-3-05; 8:45 am]\n")
    chunk, finder = one_document(text, "Order", "old.md")
    assert [c.text for c in finder.candidates([chunk])] == ["This order shall be effective September 30, 2005"]


def test_a_long_list_is_offered_whole_as_its_items_with_the_introduction_as_context():
    intro = ("(a) Except as provided in subsection (b) of this section, the non-statutory components and functions of "
             "the following governmental entities shall be eliminated to the maximum extent consistent with "
             "applicable law, and such entities shall reduce their functions to the minimum required by law:")
    items = ["(i) the Federal Mediation and Conciliation Service;", "(ii) the United States Agency for Global Media;",
             "(iii) the Institute of Museum and Library Services;", "(iv) the Community Development Fund; and",
             "(v) the Minority Business Development Agency."]
    text = "Sec. 2. Scope.\n\n" + intro + "\n" + "\n".join("    " + item for item in items) + "\n"
    chunk, finder = one_document(text, "Bureaucracy", "list.md")
    whole = [c for c in finder.candidates([chunk]) if c.text.startswith("(i)") and c.text.endswith("Agency.")]
    assert len(whole) == 1  # one unit from the first item to the last, not cut into windows
    assert whole[0].text == text[whole[0].start : whole[0].end]
    assert {"governmental", "entity"} <= whole[0].context


def test_a_heading_line_glued_to_a_sentence_is_not_quoted():
    text = "### Section 2.\n\n**Rates**\n Such rate of duty shall apply to goods entered on or after February 4, 2025.\n"
    chunk, finder = one_document(text, "Duties", "h.md")
    quotes = [c.text for c in finder.candidates([chunk])]
    assert quotes == ["Such rate of duty shall apply to goods entered on or after February 4, 2025."]


@pytest.mark.parametrize(
    "text, quote",
    [
        ("### Section 5.\n\nMonitoring\nWithin 90 days of this order, the Secretary shall submit a report.\n",
         "Within 90 days of this order, the Secretary shall submit a report."),
        ("Tariff Modifications\n(a) The rate of duty shall be 10 percent.\n", "(a) The rate of duty shall be 10 percent."),
        ("Renaming the Anahuac National Wildlife Refuge to Honor Jocelyn Nungaray\nWithin 30 days, the Secretary shall "
         "rename it.\n", "Within 30 days, the Secretary shall rename it."),
        # a wrapped line, not a heading: the next line does not start a sentence
        ("The United States\nwill deploy a missile defense shield.\n", "The United States\nwill deploy a missile defense shield."),
    ],
)
def test_a_plain_title_line_before_a_sentence_is_a_heading(text, quote):
    chunk, finder = one_document(text, "Order", "h.md")
    assert [c.text for c in finder.candidates([chunk])] == [quote]


def test_a_sentence_that_points_back_is_offered_with_the_sentence_before_it():
    text = ("### Sec. 3.\n\n**Liaison**\n\n(b) The heads of independent regulatory agencies shall establish a position of White House "
            "Liaison in their respective agencies. Such position shall be placed in Schedule C of the excepted service. "
            "This order is effective immediately.")
    chunk, finder = one_document(text, "Regulators", "r.md")
    quotes = [c.text for c in finder.candidates([chunk])]
    joined = [q for q in quotes if q.startswith("(b) The heads") and q.endswith("excepted service.")]
    assert joined == [text[text.index("(b) The heads"): text.index(" This order")]]
    assert "Such position shall be placed in Schedule C of the excepted service." in quotes  # still offered alone
    # "This order" points at the document, not at the sentence before it
    assert not any(q.endswith("effective immediately.") and q != "This order is effective immediately." for q in quotes)


def test_a_long_sentence_that_enumerates_items_is_offered_item_by_item():
    from assistant.extractive import _answer_units

    text = ("It is the policy of my Administration to support the responsible growth of digital assets across all "
            "sectors of the economy, including by: (i) protecting the ability of citizens to use open public blockchain "
            "networks without persecution, including the ability to develop software; and (ii) taking measures to protect "
            "Americans from the risks of Central Bank Digital Currencies, which threaten the stability of the financial "
            "system, including by prohibiting the issuance of a CBDC within the jurisdiction of the United States. "
            "Agencies shall cite subsection (a) of this section and (b) of section 2 in every report, which shall be sent "
            "within 30 days of the date of this order to the Director, who shall compile the reports into one summary "
            "for the President and publish the summary, except for classified parts, on the website of the Office.")
    second = text.index("(ii) taking")
    units = [text[s:e] for s, e in _answer_units(text, 0, text.index(" Agencies"))]
    assert units[0].startswith("It is the policy") and len(units[0].split()) <= 30  # the opening window
    assert units[1].startswith("(i) protecting") and units[1].endswith("develop software;")  # no trailing "and"
    assert units[2] == text[second : text.index(" Agencies")]  # the whole item, not a window cut mid-clause
    # a cited section is no item: the sentence is cut into windows
    cited = text.index("Agencies")
    assert all(not u.startswith("(b) of section") for u in (text[s:e] for s, e in _answer_units(text, cited, len(text))))


def test_no_window_of_a_long_sentence_opens_inside_parentheses():
    from assistant.extractive import _windows

    text = ("Federal funding shall end for dangerous research conducted by foreign entities in countries of concern "
            "(e.g., China, Iran, or Cuba) pursuant to 42 U.S.C. 6627(c), or in other countries where there is not "
            "adequate oversight to ensure that the countries are compliant with United States oversight standards, "
            "and the Director shall report on the research so ended within 120 days of the date of this order.")
    openings = [text[s:e].split()[0] for s, e in _windows(text, 0, len(text))]
    assert openings[0] == "Federal" and len(openings) > 1
    assert openings[1:] == ["or", "and"]  # after "6627(c)," and "standards,", not inside "(e.g., China, Iran, or Cuba)"


def test_abbreviations_are_read_from_their_definitions_only():
    from assistant.extractive import abbreviations

    text = ("The risks of Central Bank Digital Currencies (CBDCs) are real. The Office of Management and Budget "
            "(OMB) shall report. This order (the Order) and the Act (“Act”) define nothing.")
    assert abbreviations(text) == {"cbdc": "Central Bank Digital Currencies", "omb": "Office of Management and Budget"}


def test_an_abbreviation_is_spelled_out_where_it_is_used_but_not_where_it_is_defined():
    from assistant.extractive import spell_out

    defined = {"cbdc": "Central Bank Digital Currencies"}
    assert spell_out("Agencies shall not issue CBDCs.", defined) == (
        "Agencies shall not issue CBDCs (Central Bank Digital Currencies).")
    defining = "The risks of Central Bank Digital Currencies (CBDCs) are real."
    assert spell_out(defining, defined) == defining


def test_short_names_are_read_from_the_capitalised_name_before_them():
    from assistant.extractive import abbreviations

    text = ("(a) Within 60 days of the date of this order, the Secretary of Defense (Secretary) shall report.\n\n"
            "(a) There is hereby established within the Department of Justice the Task Force to Eradicate "
            "Anti-Christian Bias (Task Force).\n\n"
            "(b) There is hereby established the Federal Emergency Management Agency Review Council (“Council”).\n\n"
            "Executive Order 14192 of January 31, 2025 (Unleashing Prosperity Through Deregulation) stays.\n\n"
            "The costs of compliance (Plan) and the Board (Board) are not names.")
    assert abbreviations(text) == {
        "Secretary": "Secretary of Defense",
        "Task Force": "Task Force to Eradicate Anti-Christian Bias",
        "Council": "Federal Emergency Management Agency Review Council",
    }


def test_a_short_name_is_spelled_out_and_a_written_out_name_gains_its_abbreviation():
    from assistant.extractive import spell_out

    defined = {"Council": "Federal Emergency Management Agency Review Council", "omb": "Office of Management and Budget"}
    assert spell_out("The Council shall have 20 members.", defined) == (
        "The Council shall have 20 members. (Federal Emergency Management Agency Review Council)")
    assert spell_out("The council of elders met.", defined) == "The council of elders met."
    assert spell_out("The Office of Management and Budget shall report.", defined) == (
        "The Office of Management and Budget shall report. (OMB)")


def test_a_section_title_is_a_few_capitalised_words_before_the_text():
    from assistant.extractive import section_titles

    text = ("Sec. 1. Purpose. The order does things.\nSec. 2. This order shall take effect now. It is short.\n"
            "### Section 3.\n\n**Severability**\n\nIf any part is invalid, the rest stays.")
    title_at = section_titles(text)
    assert [title_at(text.index(words)) for words in ("The order", "It is", "If any", "Severability")] == [
        "Purpose", "", "Severability", ""]


def test_a_document_missing_from_the_store_offers_nothing(finder):
    gone = RetrievedChunk(chunk_id="c2", source="gone.md", title="Gone", text="A sentence of a removed document.",
                          start=0, end=33)
    assert finder.candidates([gone]) == []


def test_the_same_sentence_in_two_passages_is_offered_once(finder):
    chunk = whole_document_chunk()
    once = finder.candidates([chunk])
    twice = finder.candidates([chunk, whole_document_chunk(heading="again")])
    assert [c.text for c in twice] == [c.text for c in once]
    assert {c.chunk_rank for c in twice} == {0}


def test_the_quoted_answer_cites_exact_spans_with_one_marker_each(finder):
    candidates = finder.candidates([whole_document_chunk()])
    picks = [c for c in candidates if c.text.startswith(("(c) Within 90 days", "(d) Comments"))]
    answer = quoted_answer("How long do comments take?", [(c, c.start, c.end, c.text) for c in picks])
    assert not answer.refused and [c.n for c in answer.citations] == [1, 2]
    assert answer.answer.endswith("[2]") and "[1]" in answer.answer
    for citation in answer.citations:
        assert DOC[citation.start : citation.end] == citation.quote and citation.source == "ports.md"


def test_a_refusal_names_the_closest_documents_once_each():
    chunks = [whole_document_chunk(), whole_document_chunk(heading="b"),
              RetrievedChunk(chunk_id="c3", source="other.md", title="other.md", text="x", start=0, end=1)]
    answer = refusal("What is the airspeed of a swallow?", chunks)
    assert answer.refused and answer.citations == []
    assert answer.answer == ("The documents do not answer this question. The closest documents are: "
                             "Executive Order 1: Ports (ports.md); other.md.")


def test_a_later_window_and_a_list_item_carry_what_they_need_before_them(finder):
    text = ("Sec. 2. Duties. (a) Within 90 days of the date of this order, the Secretary of Commerce, in consultation "
            "with the United States Trade Representative and the heads of other relevant agencies, shall submit a "
            "report to the President on the state of the domestic shipbuilding industry, its workforce and its "
            "suppliers, including recommendations on tariffs on ship-to-shore cranes and other cargo handling "
            "equipment made with foreign components.\n\n"
            "(b) The USTR shall consider proposing the following actions:\n"
            "    (i) tariffs on ship-to-shore cranes made with foreign components; and\n"
            "    (ii) tariffs on other cargo handling equipment.\n")
    chunk, finder = one_document(text, "Ports", "ports2.md")
    units = finder.candidates([chunk])
    window = next(c for c in units if c.text.startswith("shall submit a report"))
    assert "(a) Within 90 days" in text[window.lead[0]: window.lead[1]], "a later window carries its sentence's opening"
    item = next(c for c in units if c.text.startswith("(i) tariffs on ship-to-shore"))
    assert text[item.lead[0]: item.lead[1]] == "(b) The USTR shall consider proposing the following actions:"
    first = next(c for c in units if c.text.startswith("(b) The USTR"))
    assert first.lead is None


def test_an_item_at_a_chunks_start_carries_the_introduction_from_the_chunk_before():
    text = ("Sec. 4. De Minimis Tariff Increase. To ensure that these tariffs are not circumvented, I also deem it "
            "necessary and appropriate to:\n\n"
            "(a) increase the ad valorem rate of duty from 90 percent to 120 percent; and\n\n"
            "(b) increase the per postal item duty from 75 dollars to 100 dollars.\n")
    second = text.index("(b) increase")
    chunk = RetrievedChunk(chunk_id="late", source="doc.md", title="Order", text=text[second:], start=second,
                           end=len(text))
    item = next(c for c in CandidateFinder(document_text=lambda _: text).candidates([chunk])
                if c.text.startswith("(b) increase"))
    assert text[item.lead[0]: item.lead[1]].endswith("I also deem it necessary and appropriate to:")
    assert quoted_answer("q", [(item, item.start, item.end, item.text)]).answer.startswith("… (b) increase")


def test_a_quote_that_opens_inside_its_sentence_or_list_is_shown_after_an_ellipsis(finder):
    text = ("(b) The USTR shall consider proposing the following actions:\n"
            "    (i) tariffs on ship-to-shore cranes made with foreign components; and\n"
            "    (ii) tariffs on other cargo handling equipment.\n")
    chunk, finder = one_document(text, "Ports", "ports3.md")
    units = finder.candidates([chunk])
    item = next(c for c in units if c.text.startswith("(i) tariffs"))
    intro = next(c for c in units if c.text.startswith("(b) The USTR"))
    alone = quoted_answer("q", [(item, item.start, item.end, item.text)])
    assert alone.answer.startswith("… (i) tariffs on ship-to-shore")
    assert alone.citations[0].quote == item.text  # the citation keeps the exact text
    led = quoted_answer("q", [(intro, intro.start, intro.end, intro.text), (item, item.start, item.end, item.text)])
    assert led.answer.startswith("(b) The USTR") and "[1] (i) tariffs" in led.answer
    clause = RetrievedChunk(chunk_id="c", source="x.md", title="x", text="or under the order.", start=0, end=19)
    cut = Candidate(chunk=clause, start=0, end=19, text="or under the order.", chunk_rank=0)
    assert quoted_answer("q", [(cut, 0, 19, "or under the order.")]).answer == "… or under the order. [1]"
