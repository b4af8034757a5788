"""Sentence candidates and selection of the extractive answerer, on small hand-made documents.

The embedding here is a bag-of-words hash, a stand-in for the model so that the scores are
predictable; the real model is exercised by tests/assistant/test_answers_demo.py.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from assistant.extractive import (Candidate, ExtractiveAnswerer, ExtractiveConfig, _is_heading, _list_intros, _redundant,
                                  section_item)
from ingest.text import split_sentences
from vectorstore.hits import RetrievedChunk
from vectorstore.lexical import tokenize

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


def bag_of_words(texts, batch_size=8):
    # crc32, not hash(): str hashes change with every process, and so would the scores
    vectors = np.zeros((len(texts), 256), dtype=np.float32)
    for row, text in enumerate(texts):
        for term in tokenize(text):
            vectors[row, zlib.crc32(term.encode()) % 256] += 1.0
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-9)


def uniform_idf(tokens):
    return {token: 1.0 for token in tokens}


@pytest.fixture()
def answerer() -> ExtractiveAnswerer:
    return ExtractiveAnswerer(embed=bag_of_words, document_text=lambda source: DOC if source == "ports.md" else None,
                              idf=uniform_idf)


def whole_document_chunk(heading: str = "") -> RetrievedChunk:
    return RetrievedChunk(chunk_id="c1", source="ports.md", title="Executive Order 1: Ports", text=DOC,
                          start=0, end=len(DOC), heading=heading, dense_score=0.5)


def one_document(text: str, title: str = "Order", source: str = "doc.md") -> tuple[RetrievedChunk, ExtractiveAnswerer]:
    """A chunk spanning the whole of one document, and an answerer that reads only that document."""
    chunk = RetrievedChunk(chunk_id=source, source=source, title=title, text=text, start=0, end=len(text))
    return chunk, ExtractiveAnswerer(embed=bag_of_words, document_text=lambda _: text, idf=uniform_idf)


def answer_to(answerer: ExtractiveAnswerer, question: str, chunks: list[RetrievedChunk]):
    """The answer with no score threshold, so that only the rule under test can refuse."""
    return answerer.answer(question, chunks, bag_of_words([question])[0], threshold=0.0)


def scored(answerer: ExtractiveAnswerer, question: str, chunks: list[RetrievedChunk], conversation=frozenset()):
    """The chunks' candidates as the answerer scores them for the question, best first."""
    return answerer.score(question, bag_of_words([question])[0], answerer.candidates(chunks), conversation)


def vocabulary_of(text: str):
    """A stand-in for `LexicalIndex.mentions` over one document."""
    vocabulary = set(tokenize(text))
    return lambda term, prefix=False: term in vocabulary or (prefix and any(t.startswith(term) for t in vocabulary))


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


def test_list_items_know_their_introduction():
    sentences = split_sentences(DOC)
    intros = _list_intros(DOC, sentences)
    items = {DOC[s:e].split()[0]: intros.get(i) for i, (s, e) in enumerate(sentences) if DOC[s:e].startswith("(")}
    intro = span_of(DOC, "(b) The USTR shall consider proposing the following actions:")
    assert items["(i)"] == intro  # "(i) …; and (ii) …" is one sentence
    assert items["(b)"] is None and items["(c)"] is None and items["(d)"] is None


def test_candidates_skip_headings_and_carry_list_context(answerer):
    candidates = answerer.candidates([whole_document_chunk()])
    texts = [c.text for c in candidates]
    assert "# Executive Order 1: Ports" not in texts and "**Purpose**" not in texts
    crane = next(c for c in candidates if c.text.startswith("(i) tariffs on ship-to-shore cranes"))
    assert {"ustr", "consider"} <= crane.context
    for candidate in candidates:
        assert DOC[candidate.start : candidate.end] == candidate.text


def test_the_best_candidate_holds_the_list_item_not_only_its_introduction(answerer):
    question = "What cranes should the USTR consider tariffs on?"
    vector = bag_of_words([question])[0]
    ranked = answerer.score(question, vector, answerer.candidates([whole_document_chunk()]))
    assert "ship-to-shore cranes" in ranked[0].text


def candidate(part: str, score: float, matched: set[str]) -> Candidate:
    """A scored candidate for `part` of DOC that matches the question terms `matched`."""
    start, end = span_of(DOC, part)
    return Candidate(chunk=whole_document_chunk(), start=start, end=end, text=part, chunk_rank=0,
                     terms=set(tokenize(part)), matched=matched, score=score)


REPORT_DUE = "(c) Within 90 days of the date of this order, the Secretary shall submit a draft report to the Council."
COMMENTS_DUE = "(d) Comments on the draft report shall be returned within 15 days of its submission."
COUNCIL_MEETS = "The Council shall meet every month to review port security."


def test_select_adds_a_close_second_sentence_and_skips_a_weak_one(answerer):
    first = candidate(REPORT_DUE, 1.0, {"draft", "report"})
    close = candidate(COMMENTS_DUE, 0.96, {"draft", "report"})
    weak = candidate(COUNCIL_MEETS, 0.5, {"council"})
    chosen = answerer.select([weak, close, first], weights={"draft": 1.0, "report": 1.0, "council": 1.0})
    assert chosen == [first, close]


def test_select_adds_a_lower_sentence_only_for_new_question_terms(answerer):
    first = candidate(REPORT_DUE, 1.0, {"draft", "report"})
    same_terms = candidate(COMMENTS_DUE, 0.88, {"draft", "report"})
    new_terms = candidate(COUNCIL_MEETS, 0.88, {"security"})
    weights = {"draft": 1.0, "report": 1.0, "security": 1.0}
    assert answerer.select([first, same_terms, new_terms], weights=weights) == [first, new_terms]


def test_select_never_quotes_overlapping_spans(answerer):
    whole = candidate(REPORT_DUE, 1.0, {"draft", "report"})
    window = candidate("the Secretary shall submit a draft report", 0.99, {"secretary", "submit"})
    assert _redundant(window, whole)
    assert answerer.select([whole, window], weights={"draft": 1.0, "report": 1.0, "secretary": 1.0, "submit": 1.0}) == [whole]


def test_answer_quotes_exact_spans_and_refuses_below_threshold(answerer):
    chunk = whole_document_chunk()
    question = "How many days do comments on the draft report take?"
    answer = answerer.answer(question, [chunk], bag_of_words([question])[0])
    assert not answer.refused and answer.citations
    for citation in answer.citations:
        assert DOC[citation.start : citation.end] == citation.quote
    refused = answerer.answer(question, [chunk], bag_of_words([question])[0], threshold=10.0)
    assert refused.refused and "Executive Order 1: Ports (ports.md)" in refused.answer


def test_items_numbered_in_another_style_belong_to_an_enumerated_intro_without_indentation():
    text = ("(b) The USTR shall consider the following actions:\n(i) tariffs on ship-to-shore cranes;\n"
            "(ii) tariffs on other cargo handling equipment.\n(c) The Secretary shall report within 90 days.")
    sentences = split_sentences(text)
    intros = _list_intros(text, sentences)
    intro = span_of(text, "(b) The USTR shall consider the following actions:")
    labelled = {text[s:e].split()[0]: intros.get(i) for i, (s, e) in enumerate(sentences)}
    assert labelled["(i)"] == intro and labelled["(c)"] is None


def test_a_when_question_without_a_date_in_the_answer_is_refused(answerer):
    chunk = whole_document_chunk()
    refused = answer_to(answerer, "When does the Council meet to review port security?", [chunk])
    assert refused.refused and "do not state the date" in refused.answer
    answered = answer_to(answerer, "How long do commenters have to return comments on the draft report?", [chunk])
    assert not answered.refused and "15 days" in answered.answer


def test_a_when_question_is_answered_by_a_relative_time_and_a_question_of_several_parts_is_not_refused_for_one():
    text = ("Sec. 3. Rescission. The Secretary shall publish a notice rescinding the showerhead rule. "
            "The rescission shall be effective 30 days from the date of publication of the notice.")
    chunk, answerer = one_document(text, "Showerheads", "r.md")
    answer = answer_to(answerer, "When does the rescission take effect?", [chunk])
    assert not answer.refused and "30 days from the date of publication" in answer.answer
    # the period asked for first is not stated, the notice asked for second is
    answer = answer_to(answerer, "How long does the Secretary have, and what notice must be published?", [chunk])
    assert not answer.refused and "publish a notice rescinding" in answer.answer
    assert answer_to(answerer, "How long does the Secretary have to publish the notice?", [chunk]).refused


RESERVE = ("Sec. 3. Reserve. Within 30 days of the date of this order, the Secretary shall report on the reserve "
           "established in section 2 of this order. The shield shall be deployed by 2026.")
TIMBER = ("Sec. 2. Timber. The Secretaries shall set a target for timber sales under 16 U.S.C. 1536, "
          "85 Fed. Reg. 78862 and 10 C.F.R. 430.2. The Council shall hold meetings of its members.")
VETTING = ("Sec. 2. Vetting. The Secretary of State shall identify countries throughout the world for which "
           "vetting information is so deficient as to warrant a suspension of admissions to the United States.")


@pytest.mark.parametrize("kind, question, text, stated, fact", [
    # a deadline, a year or a section number is no count, nor is a number of a legal citation
    ("number", "How many bitcoins does the reserve hold?", RESERVE, "The reserve holds 200 bitcoins.", "200 bitcoins"),
    ("number", "How many board feet of timber must be offered?", TIMBER,
     "The Secretaries shall offer 3,000 board feet of timber.", "3,000 board feet"),
    ("sum of money", "What is the estimated cost of the shield?", RESERVE, "The shield will cost $175 billion.",
     "$175 billion"),
    ("period", "How often does the Council hold meetings?", TIMBER, "The Council shall hold its meetings every month.",
     "every month"),
    ("sum of money", "What dollar amount of fines does the order set?", RESERVE, "The fine is $998 per day.", "$998"),
    ("amount", "What share of the vote did the order cite?", RESERVE, "The order cites a share of 52 percent.",
     "52 percent"),
    # a count of a million apprentices is no sum of money
    ("sum of money", "How much new funding does the order commit to apprenticeships?",
     "Sec. 2. Apprentices. The plan shall reach 1 million new active apprentices through new funding.",
     "The order commits $2 billion in new funding to apprenticeships.", "$2 billion"),
    ("date", "By what date must the Secretary report on the shield?", "Sec. 3. Reserve. The Secretary shall report.",
     "The Secretary shall report by March 1, 2026.", "March 1, 2026"),
    # a deadline answers "when"
    ("date", "When is the Working Group's report due?", "Sec. 4. Report. The Working Group shall submit a report.",
     "Within 180 days of the date of this order, the Working Group shall submit a report to the President.",
     "Within 180 days of the date of this order"),
    # the United States is named by every order and does not count
    ("country", "Which countries ended up under a full suspension after the vetting review?", VETTING,
     "Admissions of nationals of Chad and the Republic of Yemen shall be suspended in full.", "Chad"),
    # "States" in general names no State
    ("State", "Which U.S. states count mail ballots that arrive after Election Day?",
     "Sec. 1. Ballots. Numerous States count mail ballots received after Election Day.",
     "Ohio and Texas count mail ballots that arrive after Election Day.", "Ohio"),
])
def test_a_question_that_asks_for_a_kind_of_fact_is_refused_when_the_passages_do_not_state_one(kind, question, text,
                                                                                                stated, fact):
    chunk, answerer = one_document(text, "Order", "without.md")
    refused = answer_to(answerer, question, [chunk])
    assert refused.refused and f"do not state the {kind} asked for" in refused.answer
    chunk, answerer = one_document(f"{text} {stated}", "Order", "with.md")
    answer = answer_to(answerer, question, [chunk])
    assert not answer.refused and fact in answer.answer


def test_country_names_are_found_whole_and_the_united_states_is_none():
    from assistant.extractive import _CountryName

    found = lambda text: (match := _CountryName().search(text)) and match[0]  # noqa: E731
    assert found("duties on goods of the People's Republic of China") == "People's Republic of China"
    assert found("Guinea-Bissau and Chad") == "Guinea-Bissau" and found("Korea's exports") == "Korea"
    assert found("aid to (South Africa).") == "South Africa"
    assert not found("Venezuelan oil") and not found("the United States of America") and not found("Chadwick")


def test_how_big_asks_for_a_count_and_which_nationals_for_no_country():
    text = (TIMBER + " The Council shall have not more than 20 members. The Council costs $30 billion in aid. "
            + VETTING)
    chunk, answerer = one_document(text, "Order", "o.md")
    assert "20 members" in answer_to(answerer, "How big can the Council be?", [chunk]).answer
    assert not answer_to(answerer, "Which nationals does the vetting review concern?", [chunk]).refused


@pytest.mark.parametrize("sentence, counts", [
    ("The suspension shall take effect at 12:01 a.m. eastern standard time.", False),
    ("Entry is suspended under sections 212(f) and 215(a) of the INA and 8 U.S.C. 1522(a)(2).", False),
    ("The program shall admit no more than 125,000 refugees.", True),
])
def test_a_clock_time_or_a_provision_is_no_count(sentence, counts):
    from assistant.extractive import _wanted

    assert any(kind.search(sentence) for kind in _wanted("How many refugees may be admitted?")) is counts
    # a ceiling, a cap, a quota or a target is a count too
    assert any(kind.search(sentence) for kind in _wanted("What is the refugee admissions ceiling?")) is counts
    assert any(kind.search(sentence) for kind in _wanted("What admissions target does the order set?")) is counts


def test_what_the_federal_register_prints_around_an_order_is_never_quoted():
    text = ("Sec. 5. Ceiling. The program shall admit no more than 125,000 refugees.\n\n"
            "Trump.EPS THE WHITE HOUSE, January 20, 2025.\n\n"
            "[FR Doc. 2025-02011 Filed 1-29-25; 8:45 am] Billing code 3395-F4-P\n")
    chunk, answerer = one_document(text, "Order", "fr.md")
    assert [c.text for c in answerer.candidates([chunk])] == ["The program shall admit no more than 125,000 refugees."]


NON_STACKING = (
    "Sec. 2. Applicability. This order shall apply only to tariffs imposed through the following actions:\n\n"
    "(a) Proclamation 10908 of March 26, 2025 (Adjusting Imports of Automobiles and Automobile Parts);\n\n"
    "(b) Executive Order 14193 of February 1, 2025 (Imposing Duties on Canada);\n\n"
    "(c) the following further actions:\n\n"
    "Sec. 3. Non-stacking.\n\n(a) An article subject to tariffs pursuant to the action listed in section 2(a) of this "
    "order shall not be subject to additional tariffs pursuant to the actions listed in section 2(b) of this order.\n\n"
    "(b) An article subject to the actions listed in section 2(c) of this order shall pay the highest of them.\n\n"
    "Sec. 4. General Provisions. This order shall be implemented consistent with applicable law.\n"
)


def test_section_item_finds_the_lettered_item_of_a_numbered_section():
    start, end = section_item(NON_STACKING, 2, "b")
    assert NON_STACKING[start:end] == "(b) Executive Order 14193 of February 1, 2025 (Imposing Duties on Canada);"
    assert NON_STACKING[slice(*section_item(NON_STACKING, 3, "b"))].startswith("(b) An article subject")
    assert section_item(NON_STACKING, 4, "a") is None  # section 4 has no lettered items
    assert section_item(NON_STACKING, 5, "a") is None  # there is no section 5
    markdown = NON_STACKING.replace("Sec. 2. Applicability.", "### Section 2.\n\nApplicability\n")
    assert markdown[slice(*section_item(markdown, 2, "a"))].startswith("(a) Proclamation 10908")


def test_the_best_quote_is_followed_by_the_item_of_its_order_it_refers_to():
    chunk, answerer = one_document(NON_STACKING, "Non-stacking", "s.md")
    question = "Is an article subject to tariffs pursuant to the action listed in section 2(a) subject to additional tariffs?"
    answer = answer_to(answerer, question, [chunk])
    quotes = [citation.quote for citation in answer.citations]
    assert quotes[0].startswith("(a) An article subject to tariffs pursuant to the action listed in section 2(a)")
    # both items it refers to follow it, each cited where it stands
    assert quotes[1:3] == [NON_STACKING[slice(*section_item(NON_STACKING, 2, "a"))],
                           NON_STACKING[slice(*section_item(NON_STACKING, 2, "b"))]]
    assert all(NON_STACKING[c.start:c.end] == c.quote for c in answer.citations)
    # an item that only introduces a list says nothing by itself
    answer = answer_to(answerer, "Which article shall pay the highest of the tariffs listed?", [chunk])
    assert "(b) An article subject to the actions listed in section 2(c)" in answer.answer
    assert "(c) the following further actions" not in answer.answer
    answerer.config.quote_referents = False
    answer = answer_to(answerer, question, [chunk])
    assert "Proclamation 10908" not in answer.answer


def test_what_an_order_named_by_number_says_about_a_topic_is_read_from_that_order_alone():
    tariffs = ("Executive Order 14257: Reciprocal Tariffs",
               "Sec. 1. Background. Our trading partners charge higher duties. Brazil (18 percent) imposes a higher "
               "tariff on ethanol than does the United States. India (10 percent) levies a higher rate on routers.")
    news = ("India and Russia", "India has ramped up its crude oil imports from Russia, which now account for over "
                                "one-third of India's purchases. India and Russia signed a protocol on India's industry.")
    amendment = ("Executive Order 14259: Amendment to Reciprocal Tariffs", "Sec. 2. The duty on goods of the PRC is "
                                                                       "raised to 84 percent under Executive Order 14257.")
    texts = {f"{n}.md": text for n, (_, text) in enumerate([tariffs, news, amendment])}
    chunks = [RetrievedChunk(chunk_id=source, source=source, title=title, text=text, start=0, end=len(text))
              for (source, text), (title, _) in zip(texts.items(), [tariffs, news, amendment])]
    answerer = ExtractiveAnswerer(embed=bag_of_words, document_text=texts.get, idf=uniform_idf)
    answer = answer_to(answerer, "What does EO 14257 say about India?", chunks)
    assert not answer.refused and {c.source for c in answer.citations} == {"0.md"}
    assert "India (10 percent)" in answer.answer
    refused = answer_to(answerer, "What does EO 14259 say about India?", chunks)
    assert refused.refused and "Executive Order 14259 says nothing about India." in refused.answer
    # a longer word matches by its stem: "Brazilian ethanol" finds "Brazil (18 percent) … ethanol"
    assert "Brazil (18 percent)" in answer_to(answerer, "What does EO 14257 say about Brazilian ethanol?", chunks).answer
    refused = answer_to(answerer, "What does the tariff order say about Argentinian beef?", chunks)
    assert refused.refused and "say nothing about Argentinian beef" in refused.answer


def test_no_window_of_a_long_sentence_opens_inside_parentheses():
    from assistant.extractive import _windows

    text = ("Federal funding shall end for dangerous research conducted by foreign entities in countries of concern "
            "(e.g., China, Iran, or Cuba) pursuant to 42 U.S.C. 6627(c), or in other countries where there is not "
            "adequate oversight to ensure that the countries are compliant with United States oversight standards, "
            "and the Director shall report on the research so ended within 120 days of the date of this order.")
    openings = [text[s:e].split()[0] for s, e in _windows(text, 0, len(text))]
    assert openings[0] == "Federal" and len(openings) > 1
    assert openings[1:] == ["or", "and"]  # after "6627(c)," and "standards,", not inside "(e.g., China, Iran, or Cuba)"


def test_a_follow_up_is_not_swamped_by_the_terms_of_the_conversation():
    text = ("Sec. 2. Rule. The Secretary shall rescind Energy Conservation Program: Definition of Showerhead, "
            "86 Fed. Reg. 71797 (December 20, 2021), including the definition of showerhead at 10 C.F.R. 430.2. "
            "The rescission shall be effective 30 days from the date of publication of the notice.")
    chunk, answerer = one_document(text, "Showerheads", "f.md")
    question = "When does that rescission actually take effect?"
    conversation = set(tokenize("Which showerhead rule is rescinded? Energy Conservation Program: Definition of "
                                "Showerhead, 86 Fed. Reg. 71797 (December 20, 2021), 10 C.F.R. 430.2."))
    ranked = scored(answerer, question, [chunk], conversation)
    lexical = {c.text.split()[1]: c.lexical for c in ranked}
    # the conversation's terms, however many the sentence repeats, add at most context_weight
    assert lexical["Secretary"] <= answerer.config.context_weight + 1e-9
    assert lexical["rescission"] == pytest.approx(0.25)  # "rescission" is one of the question's four terms


def test_question_parts():
    from assistant.extractive import question_parts

    assert question_parts("Who must produce the strategy, how quickly, and which earlier strategy is it built on?") == [
        "Who must produce the strategy", "how quickly", "which earlier strategy is it built on"]
    assert question_parts("How was potash treated, and from when?") == ["How was potash treated", "from when"]
    assert question_parts("What tariffs apply to Canada and Mexico?") == ["What tariffs apply to Canada and Mexico"]


def test_each_part_of_a_two_part_question_gets_its_sentence():
    from assistant.extractive import question_parts

    question = "Within how many days are comments on the draft report returned, and which equipment may get tariffs?"
    assert question_parts(question) == ["Within how many days are comments on the draft report returned",
                                        "which equipment may get tariffs"]
    # the bag-of-words stand-in scores the list item far below the best sentence, hence the low ratio here
    answerer = ExtractiveAnswerer(embed=bag_of_words, document_text=lambda source: DOC, idf=uniform_idf,
                                  config=ExtractiveConfig(part_keep_ratio=0.3))
    answer = answerer.answer(question, [whole_document_chunk()], bag_of_words([question])[0], threshold=0.0)
    assert "ship-to-shore cranes" in answer.answer or "cargo handling equipment" in answer.answer
    assert "15 days" in answer.answer


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


def test_a_question_in_long_form_finds_the_sentence_that_uses_the_abbreviation():
    text = ("Sec. 1. Purpose. This order protects Americans from Central Bank Digital Currencies (CBDCs).\n\n"
            "Sec. 2. Prohibition. Agencies are hereby prohibited from undertaking any action to establish CBDCs.\n\n"
            "Sec. 3. Reports. The working group shall report within 180 days on digital asset markets.")
    chunk, answerer = one_document(text, "Digital assets", "cbdc.md")
    question = "May agencies establish a central bank digital currency?"
    found = scored(answerer, question, [chunk])
    prohibition = next(c for c in found if "prohibited" in c.text)
    assert {"central", "bank", "digital"} <= prohibition.matched
    assert prohibition.text == text[prohibition.start : prohibition.end]  # the quote stays verbatim


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


def test_a_question_abbreviation_matches_the_name_written_out():
    from assistant.extractive import initialisms

    assert {"fema", "htsus"} <= initialisms(
        "the Federal Emergency Management Agency under the Harmonized Tariff Schedule of the United States")
    text = ("Sec. 1. Purpose. The disaster agency has failed many Americans.\n\n"
            "Sec. 2. Council. The Federal Emergency Management Agency Review Council shall have 20 members.")
    chunk, answerer = one_document(text)
    found = scored(answerer, "How big is the FEMA council?", [chunk])
    council = next(c for c in found if "20 members" in c.text)
    assert {"fema", "council"} <= council.matched
    assert found[0] is council


def test_a_sentence_is_embedded_with_its_section_title():
    text = ("Sec. 1. Purpose. Digital assets matter to the economy.\n\n"
            "### Section 5.\n\nProhibition of Central Bank Digital Currencies\n\n"
            "(a) Agencies shall not undertake any action to establish such instruments.\n\n"
            "Sec. 6. Reports. Agencies shall file reports on digital assets within 90 days.")
    chunk, answerer = one_document(text)
    found = scored(answerer, "Are central bank digital currencies allowed?", [chunk])
    assert found[0].text.startswith("(a) Agencies shall not undertake")
    assert found[0].section == "Prohibition of Central Bank Digital Currencies"


def test_a_section_title_is_a_few_capitalised_words_before_the_text():
    from assistant.extractive import section_titles

    text = ("Sec. 1. Purpose. The order does things.\nSec. 2. This order shall take effect now. It is short.\n"
            "### Section 3.\n\n**Severability**\n\nIf any part is invalid, the rest stays.")
    title_at = section_titles(text)
    assert [title_at(text.index(words)) for words in ("The order", "It is", "If any", "Severability")] == [
        "Purpose", "", "Severability", ""]


def test_a_question_that_names_two_documents_quotes_both():
    texts = {"jb.md": "Sec. 1. Purpose. The firm re-hired Andrew Weissmann, a prosecutor in the Mueller inquiry.",
             "wh.md": "Sec. 1. Purpose. The firm welcomed Aaron Zebley and other veterans of the Mueller investigation.",
             "pw.md": "Sec. 1. Purpose. The firm hired veterans of other investigations as partners."}
    titles = {"jb.md": "Executive Order 14246: Addressing Risks From Jenner & Block",
              "wh.md": "Executive Order 14250: Addressing Risks From WilmerHale",
              "pw.md": "Executive Order 14237: Addressing Risks From Paul Weiss"}
    # only the rule under test adds a second sentence
    config = ExtractiveConfig(keep_ratio=1.0, part_keep_ratio=0.3)
    answerer = ExtractiveAnswerer(embed=bag_of_words, document_text=texts.get, idf=uniform_idf, config=config)
    chunks = [RetrievedChunk(chunk_id=source, source=source, title=titles[source], text=texts[source], start=0,
                             end=len(texts[source])) for source in ("wh.md", "pw.md", "jb.md")]

    def cited(question: str) -> list[str]:
        return [c.source for c in answer_to(answerer, question, chunks).citations]

    assert cited("Which veterans of the Mueller investigation are named in the Jenner & Block and WilmerHale "
                 "orders?") == ["wh.md", "jb.md"]
    assert cited("Which veterans of the Mueller investigation are named in EO 14246 and EO 14250?") == ["wh.md", "jb.md"]
    assert cited("Which veterans of the Mueller investigation are named in the WilmerHale order?") == ["wh.md"]


def test_identifiers_are_numbers_typed_to_name_a_thing():
    from assistant.extractive import identifiers

    assert identifiers("Does EO 14257 list heading 9903.01.63 in section 3(b) on March 6?") == ["14257", "9903.01.63"]


def test_a_long_list_is_offered_whole_as_its_items_with_the_introduction_as_context():
    intro = ("(a) Except as provided in subsection (b) of this section, the non-statutory components and functions of "
             "the following governmental entities shall be eliminated to the maximum extent consistent with "
             "applicable law, and such entities shall reduce their functions to the minimum required by law:")
    items = ["(i) the Federal Mediation and Conciliation Service;", "(ii) the United States Agency for Global Media;",
             "(iii) the Institute of Museum and Library Services;", "(iv) the Community Development Fund; and",
             "(v) the Minority Business Development Agency."]
    text = "Sec. 2. Scope.\n\n" + intro + "\n" + "\n".join("    " + item for item in items) + "\n"
    chunk, answerer = one_document(text, "Bureaucracy", "list.md")
    whole = [c for c in answerer.candidates([chunk]) if c.text.startswith("(i)") and c.text.endswith("Agency.")]
    assert len(whole) == 1  # one unit from the first item to the last, not cut into windows
    assert whole[0].text == text[whole[0].start : whole[0].end]
    assert {"governmental", "entity"} <= whole[0].context


def test_a_heading_line_glued_to_a_sentence_is_not_quoted():
    text = "### Section 2.\n\n**Rates**\n Such rate of duty shall apply to goods entered on or after February 4, 2025.\n"
    chunk, answerer = one_document(text, "Duties", "h.md")
    quotes = [c.text for c in answerer.candidates([chunk])]
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
    chunk, answerer = one_document(text, "Order", "h.md")
    assert [c.text for c in answerer.candidates([chunk])] == [quote]


LONG = ("Within 90 days of the date of this order, the Secretary of Commerce, in consultation with the Trade "
        "Representative, shall submit a report to the President assessing the impact of this order on consumers and "
        "supply chains and making recommendations for further action, including a recommendation on whether "
        "extending de minimis ineligibility to packages from Macau is necessary to prevent circumvention.")
ITEMS = ("(iv) providing regulatory clarity and certainty built on technology-neutral regulations, frameworks that "
         "account for emerging technologies, transparent decision making and well-defined jurisdictional regulatory "
         "boundaries for every agency of the Federal Government; and (v) taking measures to protect Americans "
         "from the risks of Central Bank Digital Currencies, which threaten the stability of the financial system "
         "and individual privacy.")


def test_a_window_from_the_middle_of_a_long_sentence_is_quoted_after_the_sentence_opening():

    text = f"### Section 5.\n\n{LONG}\n\n### Section 6.\n\n{ITEMS}\n"
    chunk = RetrievedChunk(chunk_id="l1", source="l.md", title="Order", text=text, start=0, end=len(text))
    for question, opening, window in (
        ("Is extending de minimis ineligibility to packages from Macau necessary?", "Within 90 days of the date", "Macau"),
        ("Which risks of Central Bank Digital Currencies threaten privacy?", None, "Central Bank Digital Currencies"),
    ):
        answers = []
        for quote_openings in (True, False):
            answerer = ExtractiveAnswerer(embed=bag_of_words, document_text=lambda source: text, idf=uniform_idf,
                                          config=ExtractiveConfig(quote_openings=quote_openings))
            answers.append(answerer.answer(question, [chunk], bag_of_words([question])[0], threshold=0.0))
        with_opening, without = answers
        assert window in without.answer
        assert all(c.quote == text[c.start : c.end] for c in with_opening.citations)
        if opening:  # the opening comes first, as its own citation
            assert not any(c.quote.startswith(opening) for c in without.citations)
            assert with_opening.citations[0].quote.startswith(opening)
            assert any(window in c.quote for c in with_opening.citations[1:])
        else:  # the opening of a run of list items is a sibling item, not the window's subject
            assert with_opening.answer == without.answer


def test_proper_names_are_runs_of_capitalised_words_after_the_first():
    from assistant.extractive import proper_names

    assert proper_names("What toll changes does the order make for the Panama Canal?") == ["Panama Canal"]
    assert proper_names("Did the order on Chinese parcels address Macau and USTR's English-proficiency rule?") == [
        "Chinese", "Macau"]  # acronyms and hyphenated words are spelled many ways: left out
    assert proper_names("What Does The Order Say About Potash?") == []  # title case names nothing


@pytest.mark.parametrize(
    ("text", "unanswerable", "reason", "answerable"),
    [
        ("Sec. 1. Executive Order 14257 sets a duty of 10 percent on imports.",
         "What duty does Executive Order 14999 set on imports?", "No document mentions 14999",
         "What duty does Executive Order 14257 set on imports?"),
        ("Sec. 1. Goods of China, including Hong Kong and Macau, pay a duty of 10 percent.",
         "What duty do goods of Greenland pay?", "No document mentions Greenland",
         "What duty do Chinese goods from Macau pay?"),  # "Chinese" finds "China" by its stem
    ],
)
def test_a_question_about_a_number_or_name_no_document_has_is_refused(text, unanswerable, reason, answerable):
    chunk = RetrievedChunk(chunk_id="d1", source="eo.md", title="Duties", text=text, start=0, end=len(text))
    answerer = ExtractiveAnswerer(embed=bag_of_words, document_text=lambda source: text, idf=uniform_idf,
                                  mentioned=vocabulary_of(text))
    refused = answer_to(answerer, unanswerable, [chunk])
    assert refused.refused and reason in refused.answer and refused.citations == []
    answered = answer_to(answerer, answerable, [chunk])
    assert not answered.refused and "10 percent" in answered.answer


def test_a_question_that_names_a_document_by_its_title_reads_its_sentences():
    texts = {"dome.md": "Sec. 2. Policy. The United States will deploy a next-generation missile defense shield.",
             "ports.md": "Sec. 1. Meetings. The Council shall meet every month to review port security."}
    chunks = [RetrievedChunk(chunk_id=source, source=source, title=title, text=texts[source], start=0,
                             end=len(texts[source]))
              for source, title in (("dome.md", "The Iron Dome for America"), ("ports.md", "Port Security for America"))]
    answerer = ExtractiveAnswerer(embed=bag_of_words, document_text=texts.get, idf=uniform_idf)
    question = "What is the Iron Dome for America?"
    ranked = scored(answerer, question, chunks)
    lexical = {c.chunk.source: c.lexical for c in ranked}
    assert lexical["dome.md"] > 0 and lexical["ports.md"] == 0  # "America" alone is not the title's share
    assert ranked[0].chunk.source == "dome.md"


def test_a_date_that_names_a_cited_order_does_not_answer_when():
    from assistant.extractive import _required

    ((_, date),) = _required("From when do the new rates apply?")
    assert date.search("as amended by Executive Order 14231 of March 2, 2025 (Amendment to Duties).") is None
    assert date.search("Proclamation 10908 of March 26, 2025 applies.") is None
    assert date.search("as modified by the Executive Order dated April 8, 2025, from 90 percent") is None
    assert date.search("on or after 12:01 a.m. eastern standard time on March 7, 2025")
    assert date.search("Executive Order 14231 of March 2, 2025 takes effect on March 7, 2025")[0] == "March 7, 2025"
    # one unit as well as several
    assert date.search("a Conditional Sunset Date of 1 year after the effective date")[0] == "1 year after"
    assert date.search("shall report within one year of the date of this order")[0] == "within one year"


def test_a_sentence_that_states_the_kind_of_fact_asked_for_is_scored_even_when_it_shares_few_words():
    text = ("Sec. 2. Vetting. Officials shall report on deficient countries and their vetting. "
            "Officials shall report on the nationals of deficient countries. Officials shall report on countries "
            "whose information is deficient.\n\n"
            "(b) Within 60 days of the date of this order, the Secretary shall submit the findings to officials.")
    chunk, _ = one_document(text)
    question = "How long do officials have to report on deficient countries?"
    for typed, answered in ((0, False), (1, True)):
        # only two candidates are embedded by the cheap score, and a typed one may join far below the best
        config = ExtractiveConfig(dense_candidates=2, typed_candidates=typed, typed_keep_ratio=0.3)
        answerer = ExtractiveAnswerer(embed=bag_of_words, document_text=lambda _: text, idf=uniform_idf, config=config)
        answer = answer_to(answerer, question, [chunk])
        assert ("Within 60 days" in answer.answer and not answer.refused) is answered


@pytest.mark.parametrize("question", ["What are the two deadlines?", "Which report is due sooner?",
                                      "By when must the plan be sent?", "And how fast did they need a plan?"])
def test_a_question_about_deadlines_asks_for_a_period(question):
    from assistant.extractive import _wanted

    assert any(kind.search("Within 120 days of the date of this order, the Director shall report.")
               for kind in _wanted(question))


def test_a_question_that_names_a_date_prefers_the_document_of_that_date():
    texts = {"a.md": "Sec. 2. Duties. An additional duty of 10 percent applies to steel.",
             "b.md": "Sec. 2. Duties. An additional duty of 25 percent applies to copper."}
    dates = {"a.md": "2025-03-06", "b.md": "2025-04-02"}
    answerer = ExtractiveAnswerer(embed=bag_of_words, document_text=texts.get, idf=uniform_idf)
    for question, expected in (("What duty did the March 6 order add?", "a.md"),
                               ("What duty did the April 2, 2025 order add?", "b.md")):
        other = "b.md" if expected == "a.md" else "a.md"
        # the other document is retrieved first, so only the date can put the named one on top
        chunks = [RetrievedChunk(chunk_id=source, source=source, title="Order", text=texts[source], start=0,
                                 end=len(texts[source]), date=dates[source]) for source in (other, expected)]
        ranked = scored(answerer, question, chunks)
        assert [c.chunk.source for c in ranked] == [expected, other]


def test_a_question_that_states_its_premise_first_asks_its_last_sentence():
    from assistant.extractive import split_premise

    assert split_premise("What did the U.S. Trade Representative say?") == (
        "What did the U.S. Trade Representative say?", "")
    text = ("Sec. 3. Officers. The Attorney General shall create a mechanism to provide legal resources to police "
            "officers. This mechanism shall include the use of pro bono assistance.")
    chunk, answerer = one_document(text)
    question = ("The order sets up a mechanism to provide legal resources to police officers. What kind of outside "
                "assistance must that mechanism use?")
    assert split_premise(question)[0] == "What kind of outside assistance must that mechanism use?"
    lexical = {c.text.split()[0]: c.lexical for c in scored(answerer, question, [chunk])}
    # the statement's terms count as context, so the sentence that has what is asked matches better
    assert lexical["This"] > lexical["The"]


def test_a_follow_up_keeps_the_date_its_earlier_question_named():
    texts = {"a.md": "Sec. 2. Duties. Within 14 days, the heads of each entity shall report to OMB on compliance.",
             "b.md": "Sec. 2. Duties. Within 90 days, the heads of all agencies shall report to OMB on compliance."}
    dates = {"a.md": "2025-02-19", "b.md": "2025-03-25"}
    answerer = ExtractiveAnswerer(embed=bag_of_words, document_text=texts.get, idf=uniform_idf)
    # b.md is retrieved first, so it leads unless a date says otherwise
    chunks = [RetrievedChunk(chunk_id=source, source=source, title="Order", text=texts[source], start=0,
                             end=len(texts[source]), date=dates[source]) for source in ("b.md", "a.md")]

    def best(question: str, earlier: str = "") -> str:
        return answerer.score(question, bag_of_words([question])[0], answerer.candidates(chunks), frozenset(),
                              earlier)[0].chunk.source

    question = "How quickly did the heads have to report to OMB on compliance?"
    earlier = "Which entities did the February 19 order eliminate?"
    assert best(question) == "b.md"
    assert best(question, earlier) == "a.md"
    # a date the follow-up names itself wins over the earlier one
    assert best(question.replace("heads", "heads under the March 25 order"), earlier) == "b.md"


def test_when_something_takes_effect_is_answered_by_the_sentence_that_says_it_is_effective():
    text = ("Sec. 5. Certification. Within 30 days of the end of each probationary period, the agency head shall apply "
            "the certification. Sec. 9. Effective Date. This order is effective immediately, except that the "
            "requirements of section 5 shall become effective 90 days from the date of this order.")
    chunk, answerer = one_document(text, "Probation", "p.md")
    answer = answer_to(answerer, "When does the certification requirement start to apply?", [chunk])
    assert "shall become effective 90 days" in answer.answer
    from assistant.extractive import _wanted

    (start,) = _wanted("When does the certification requirement take effect?")
    assert start.search("Such rates of duty shall apply to goods entered on or after 12:01 a.m. on April 5, 2025")
    assert start.search("if this action is not effective in resolving the emergency") is None


def test_a_follow_up_is_not_answered_by_the_sentence_just_quoted():
    text = ("Sec. 2. Rule. The Secretary shall publish a notice rescinding the showerhead rule of December 20, 2021. "
            "The rescission shall apply 30 days from the date of publication of the notice.")
    chunk, answerer = one_document(text, "Showerheads", "s.md")
    question = "When does that rescission take effect?"
    told = "The Secretary shall publish a notice rescinding the showerhead rule of December 20, 2021. [1]"
    # a follow-up is retrieved with the conversation folded into its query
    vector = bag_of_words([f"{question} notice rescinding the showerhead rule"])[0]

    def answer(**earlier: str) -> str:
        return answerer.answer(question, [chunk], vector, set(tokenize(told)), threshold=0.0, **earlier).answer

    assert answer().startswith("The Secretary shall publish")
    assert answer(earlier_answer=told) == (
        "The rescission shall apply 30 days from the date of publication of the notice. [1]")


def test_an_order_named_by_number_that_no_document_is_must_be_mentioned_by_the_answer():
    from assistant.extractive import absent_instruments

    text = ("(e) Proclamation 9705 of March 8, 2018 (Adjusting Imports of Steel), as amended by Proclamation 10896. "
            "All articles shall be subject to an additional ad valorem rate of duty of 10 percent.")
    chunk = RetrievedChunk(chunk_id="s1", source="s.md", title="Executive Order 14289: Tariffs", text=text, start=0,
                           end=len(text))
    answerer = ExtractiveAnswerer(embed=bag_of_words, document_text=lambda source: text, idf=uniform_idf)
    rate = [c for c in answerer.candidates([chunk]) if "10 percent" in c.text]
    cited = [c for c in answerer.candidates([chunk]) if "10896" in c.text]
    question = "What rate does Proclamation 10896 impose on steel?"
    assert absent_instruments(question, [chunk], rate) == ["Proclamation 10896"]
    assert absent_instruments(question, [chunk], cited) == []  # the sentence that cites it may answer
    assert absent_instruments("What rate does EO 14289 impose?", [chunk], rate) == []  # a document found is it


def test_a_sentence_that_points_back_is_offered_with_the_sentence_before_it():
    text = ("### Sec. 3.\n\n**Liaison**\n\n(b) The heads of independent regulatory agencies shall establish a position of White House "
            "Liaison in their respective agencies. Such position shall be placed in Schedule C of the excepted service. "
            "This order is effective immediately.")
    chunk, answerer = one_document(text, "Regulators", "r.md")
    quotes = [c.text for c in answerer.candidates([chunk])]
    joined = [q for q in quotes if q.startswith("(b) The heads") and q.endswith("excepted service.")]
    assert joined == [text[text.index("(b) The heads"): text.index(" This order")]]
    assert "Such position shall be placed in Schedule C of the excepted service." in quotes  # still offered alone
    # "This order" points at the document, not at the sentence before it
    assert not any(q.endswith("effective immediately.") and q != "This order is effective immediately." for q in quotes)
    question = "Where in the civil service is the White House Liaison position placed?"
    answer = answerer.answer(question, [chunk], bag_of_words([question])[0], threshold=0.0)
    assert "Schedule C" in answer.answer and "White House Liaison" in answer.answer


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


def test_a_question_that_names_two_documents_by_date_quotes_both():
    texts = {"feb1.md": "Sec. 2. Duties. An additional duty of 25 percent applies to goods of Canada.",
             "feb3.md": "Sec. 2. Pause. The duties on goods of Canada shall be paused until March 4, 2025.",
             "mar2.md": "Sec. 2. Duties. The duties on goods of Canada shall be amended as set out below."}
    dates = {"feb1.md": "2025-02-01", "feb3.md": "2025-02-03", "mar2.md": "2025-03-02"}
    config = ExtractiveConfig(keep_ratio=1.0, part_keep_ratio=0.3)  # only the rule under test adds a sentence
    answerer = ExtractiveAnswerer(embed=bag_of_words, document_text=texts.get, idf=uniform_idf, config=config)
    chunks = [RetrievedChunk(chunk_id=source, source=source, title="Duties on Canada", text=texts[source], start=0,
                             end=len(texts[source]), date=dates[source]) for source in ("feb1.md", "mar2.md", "feb3.md")]

    def cited(question: str) -> list[str]:
        return [c.source for c in answer_to(answerer, question, chunks).citations]

    assert set(cited("What duty did the February 1 order set on goods of Canada, and until when did the February 3 "
                     "order pause it?")) == {"feb1.md", "feb3.md"}
    assert len(cited("What duty did the February 1 order set on goods of Canada?")) == 1


def test_a_question_about_the_order_of_a_date_is_not_answered_from_an_order_of_another_date():
    texts = {"feb5.md": "Sec. 2. De minimis. Duty-free de minimis treatment shall not be available for these goods.",
             "apr9.md": "Sec. 2. Rates. The tariff rate on goods of China shall rise from 90 percent to 120 percent."}
    dates = {"feb5.md": "2025-02-05", "apr9.md": "2025-04-09"}
    titles = {"feb5.md": "Executive Order 14200: Amendment to Duties", "apr9.md": "Executive Order 14266: Rates"}
    answerer = ExtractiveAnswerer(embed=bag_of_words, document_text=texts.get, idf=uniform_idf)
    chunks = [RetrievedChunk(chunk_id=source, source=source, title=titles[source], text=texts[source], start=0,
                             end=len(texts[source]), date=dates[source]) for source in ("feb5.md", "apr9.md")]

    question = "What tariff rate on goods of China did the February 5 amendment set?"
    refused = answer_to(answerer, question, chunks)
    assert refused.refused and "Executive Order 14200, the order of February 5" in refused.answer
    # a date misremembered: retrieval found the order that answers first
    assert not answer_to(answerer, question, chunks[::-1]).refused
    # the order of that date answers; a date the question asks about names no order
    assert not answer_to(answerer, "What tariff rate on goods of China did the April 9 order set?", chunks).refused
    assert not answer_to(answerer, "What tariff rate on goods of China applies after February 5?", chunks).refused


def test_the_date_of_a_look_alike_order_does_not_answer_when():
    texts = {"dc.md": "Sec. 2. Task Force. The Safe and Beautiful Task Force is hereby established by this order.",
             "fifa.md": "Sec. 3. Task Force. The FIFA Task Force shall terminate on December 31, 2026."}
    answerer = ExtractiveAnswerer(embed=bag_of_words, document_text=texts.get, idf=uniform_idf,
                                  config=ExtractiveConfig(typed_keep_ratio=0.1, keep_ratio=1.0))
    chunks = [RetrievedChunk(chunk_id=source, source=source, title="Task Force", text=texts[source], start=0,
                             end=len(texts[source])) for source in texts]
    refused = answer_to(answerer, "When is the Safe and Beautiful Task Force scheduled to terminate?", chunks)
    assert refused.refused and "do not state the date asked for" in refused.answer
    # the order retrieved first may state it ("And how long does the enforcement delay last?" is answered by the
    # order the conversation is about even when its extension scores best)
    assert not answer_to(answerer, "When is the Safe and Beautiful Task Force scheduled to terminate?",
                         chunks[::-1]).refused
    # the best sentence's own order may state it
    texts["dc.md"] += " The Safe and Beautiful Task Force shall terminate on January 20, 2027."
    chunks[0] = RetrievedChunk(chunk_id="dc2", source="dc.md", title="Task Force", text=texts["dc.md"], start=0,
                               end=len(texts["dc.md"]))
    answer = answer_to(answerer, "When is the Safe and Beautiful Task Force scheduled to terminate?", chunks)
    assert not answer.refused and "January 20, 2027" in answer.answer


def test_only_the_parts_that_ask_something_are_searched_alone():
    from assistant.extractive import asking_parts

    assert asking_parts("Who co-chairs the council, and which agency must close the institute?") == [
        "Who co-chairs the council", "which agency must close the institute"]
    # a qualifier before the question is no question of its own
    assert asking_parts("Under the order of April 8, what was the new rate on low-value imports?") == []
    assert asking_parts("What tariffs apply to Canada and Mexico?") == []


@pytest.mark.parametrize(("question", "text", "stated"), [
    # the sentence that says what a term means, not the one that uses it most
    ("How does the order define female?",
     "Sec. 1. Purpose. Female athletes deserve fair and safe competition in school sports. Sec. 2. Definitions. "
     "(a) “Female” means a person belonging, at conception, to the sex that produces the large reproductive cell.",
     "“Female” means a person"),
    # the sentence in which an official acts, not the one that shares the question's words
    ("Which official must close the leadership institute?",
     "Sec. 1. Purpose. The leadership institute was created more than 50 years ago to train senior bureaucrats. "
     "Sec. 2. Closure. (a) The Director of the Office of Personnel Management shall take all necessary steps to close "
     "the institute.",
     "The Director of the Office of Personnel Management shall"),
])
def test_the_sentence_that_states_the_kind_of_fact_asked_for_scores_best(question, text, stated):
    chunk, answerer = one_document(text)
    best = scored(answerer, question, [chunk])[0]
    assert stated in best.text, best.text


@pytest.mark.parametrize(("question", "official"), [
    ("Which official is told to close the institute?", True),
    ("With the program frozen, who can still admit refugees?", True),
    ("Which two cabinet secretaries lead the council?", True),
    # a relative "who" asks for no one
    ("What happens to a commercial driver who fails the English test?", False),
    # in a question of several parts, only the part that asks "who" asks for an official
    ("Who must write the strategy, and how quickly?", False),
])
def test_who_asks_for_an_official(question, official):
    from assistant.extractive import kinds_asked

    assert ("official" in kinds_asked(question)) is official



def test_a_question_about_what_is_on_a_list_is_answered_with_the_list():
    text = ("Sec. 1. Purpose. This order continues the reduction of the Federal bureaucracy.\n\n"
            "Sec. 2. Scope. (a) The non-statutory components and functions of the following governmental entities shall "
            "be eliminated to the maximum extent consistent with applicable law, and such entities shall reduce the "
            "performance of their statutory functions and associated personnel to the minimum presence required by law:\n"
            "    (i) the Federal Mediation and Conciliation Service;\n"
            "    (ii) the United States Agency for Global Media;\n"
            "    (iii) the Institute of Museum and Library Services; and\n"
            "    (iv) the Minority Business Development Agency.\n")
    chunk, answerer = one_document(text)
    answer = answer_to(answerer, "Which agencies were on the list in the order continuing the bureaucracy cuts?", [chunk])
    assert "Agency for Global Media" in answer.answer and "Minority Business Development Agency" in answer.answer, answer.answer


@pytest.mark.parametrize(("sentence", "acts"), [
    ("(a) The Chair of the Equal Employment Opportunity Commission shall review the practices of law firms.", True),
    ("I hereby delegate to the Chief Executive Officer of the Corporation the authority under section 303.", True),
    ("upon notification by the Secretary of Commerce to the President that adequate systems are in place", True),
    # a role is no official
    ("The Co-Chairs may designate up to two Vice Chairs of the Council from among its members.", False),
    ("The notice shall be submitted to the Secretary-General of the United Nations.", False),
    # the official must open its clause
    ("(b) The President shall be the Chair of the Task Force, and the Vice President shall serve as Vice Chair.", False),
    ("Notwithstanding the suspension, the Secretary of State and the Secretary of Homeland Security may jointly admit "
     "refugees.", True),
])
def test_the_sentences_in_which_an_official_acts(sentence, acts):
    from assistant.extractive import kinds_asked

    assert bool(kinds_asked("Who must do it?")["official"].search(sentence)) is acts


LONG_LIST = ("Sec. 2. Membership. The Task Force shall be chaired by the Assistant to the President or his designee, and "
             "shall otherwise include representatives from the following departments, agencies, or components, selected "
             "as such department, agency, or component determines:\n"
             "    (i) the Department of the Interior;\n"
             "    (ii) the Department of Transportation;\n"
             "    (iii) the Department of Homeland Security;\n"
             "    (iv) the Federal Bureau of Investigation;\n"
             "    (v) the United States Marshals Service;\n"
             "    (vi) the Bureau of Alcohol, Tobacco, Firearms and Explosives; and\n"
             "    (vii) the United States Attorney's Office for the District of Columbia.\n\n"
             "Sec. 3. Meetings. The Task Force shall meet every month.\n")


def test_a_quote_that_stops_inside_a_list_asked_for_is_followed_by_the_rest_of_the_list(monkeypatch):
    chunk, answerer = one_document(LONG_LIST)
    question = "Which departments and agencies are listed as members of the Task Force?"
    answer = answer_to(answerer, question, [chunk])
    assert "(vii) the United States Attorney's Office" in answer.answer, answer.answer
    assert all(c.quote == LONG_LIST[c.start:c.end] for c in answer.citations)
    assert "Task Force shall meet every month" not in answer.answer
    monkeypatch.setattr(ExtractiveAnswerer, "_rest_of_list", lambda *args: None)
    assert "(vii) the United States Attorney's Office" not in answer_to(answerer, question, [chunk]).answer


def test_which_department_asks_for_a_department_named_unless_it_asks_for_a_list():
    from assistant.extractive import kinds_asked

    department = kinds_asked("Which department houses the task force?")["department"]
    assert department.search("the Task Force shall be housed in the Department of Defense")
    assert not department.search("shall coordinate with the executive departments and agencies")
    assert "department" not in kinds_asked("Which agencies were on the list in the March 14 order?")


@pytest.mark.parametrize(("question", "asks"), [
    ("Which agencies were on the list in the March 14 order?", True),
    ("Which four small federal entities did the order single out?", True),
    ("Which two cabinet secretaries lead the council?", False),  # two are named in a sentence, not a list
    ("Which agencies must report to OMB?", False),
])
def test_which_questions_ask_for_a_list(question, asks):
    from assistant.extractive import kinds_asked

    assert ("list" in kinds_asked(question)) is asks



def test_the_first_documents_sentence_of_the_kind_asked_for_is_scored_though_it_shares_no_word():
    """Another order's sentences name officials and share the question's words; the first order's sentence in which
    an official acts shares none ("shut down the school" against "eliminate the Institute")."""
    first = ("Sec. 1. Purpose. The leadership school for senior bureaucrats, created by the Johnson administration, "
             "trains bureaucrats. Sec. 2. Elimination.\n\n(a) The Director of the Office of Personnel Management "
             "shall take all necessary steps to eliminate the Federal Executive Institute.\n")
    other = "\n\n".join(f"({letter}) The Secretary of Education shall review school {topic} for senior staff."
                        for letter, topic in zip("abcdefgh", ["discipline", "safety", "budgets", "hiring", "leadership",
                                                               "training", "records", "grants"]))
    texts = {"first.md": first, "other.md": other}
    answerer = ExtractiveAnswerer(embed=bag_of_words, document_text=texts.get, idf=uniform_idf)
    chunks = [RetrievedChunk(chunk_id=source, source=source, title="Order", text=text, start=0, end=len(text))
              for source, text in texts.items()]
    ranked = scored(answerer, "Which official is told to shut down the leadership school for senior bureaucrats?", chunks)
    assert any("Director of the Office of Personnel Management shall" in c.text for c in ranked)


def test_a_question_names_an_order_by_a_possessive_word_of_its_title():
    from assistant.extractive import titles_named

    def titled(source: str, title: str) -> Candidate:
        chunk = RetrievedChunk(chunk_id=source, source=source, title=title, text="x", start=0, end=1)
        return Candidate(chunk=chunk, start=0, end=1, text="x", chunk_rank=0)

    pool = [titled("250.md", "Executive Order 14189: Celebrating America's 250th Birthday"),
            titled("fifa.md", "Executive Order 14234: Establishing the White House Task Force on the FIFA World Cup 2026")]
    question = "Which departments host the America 250 task force and the FIFA World Cup 2026 task force?"
    assert titles_named(question, pool) == ["250.md", "fifa.md"]


def test_a_part_asked_of_both_named_orders_is_answered_from_each():
    texts = {
        "alpha.md": ("Sec. 3. Task Force.\n\n(f) The Task Force shall be housed in the Department of Defense.\n\n"
                     "(g) Agencies shall report to the Task Force on their planning.\n\n"
                     "(h) The Task Force shall terminate on December 31, 2026.\n"),
        "beta.md": ("Sec. 3. Task Force.\n\n(f) The Task Force shall be housed in the Department of Homeland Security.\n\n"
                    "(g) Agencies shall report to the Task Force on the events.\n\n"
                    "(h) The Task Force shall terminate on July 4, 2027.\n"),
    }
    titles = {"alpha.md": "Order 1: Celebrating the Alpha Anniversary", "beta.md": "Order 2: The Beta Games Task Force"}
    answerer = ExtractiveAnswerer(embed=bag_of_words, document_text=texts.get, idf=uniform_idf,
                                  config=ExtractiveConfig(part_keep_ratio=0.3))
    chunks = [RetrievedChunk(chunk_id=source, source=source, title=titles[source], text=text, start=0, end=len(text))
              for source, text in texts.items()]
    answer = answer_to(answerer, "Which departments house the Alpha task force and the Beta task force, and when do "
                                 "both end?", chunks)
    assert "December 31, 2026" in answer.answer and "July 4, 2027" in answer.answer, answer.answer


def test_a_question_that_asks_several_things_may_get_a_longer_answer():
    answerer = ExtractiveAnswerer(embed=bag_of_words, document_text=lambda source: DOC, idf=uniform_idf,
                                  config=ExtractiveConfig(max_words=25, multi_part_max_words=60))
    first = candidate(REPORT_DUE, 1.0, {"draft", "report"})
    close = candidate(COMMENTS_DUE, 0.96, {"draft", "report"})
    weights = {"draft": 1.0, "report": 1.0}
    assert answerer.select([first, close], weights=weights) == [first]
    # "… and a qualifier" is one question; "What is due, and when?" asks two things
    assert answerer.select([first, close], weights=weights, parts=["On the draft report", "what is due"]) == [first]
    assert answerer.select([first, close], weights=weights, parts=["What is due", "when"]) == [first, close]


def test_a_qualifier_put_first_does_not_spare_a_question_the_fact_it_asks_for():
    text = "Sec. 3. Reserve. Within 30 days of the date of this order, each agency shall review its holdings of bitcoin."
    chunk, answerer = one_document(text)
    refused = answer_to(answerer, "According to the reserve order, how many bitcoins did the Government hold?", [chunk])
    assert refused.refused and "do not state the number asked for" in refused.answer, refused.answer
