"""Sentence and block segmentation keep exact offsets and respect legal-text abbreviations."""

from ingest.text import heading_of, split_blocks, split_clauses, split_sentences


def test_sentences_keep_offsets_and_skip_abbreviations():
    text = "The U.S. Trade Representative shall act. See 50 U.S.C. 1701 et seq. for details. Sec. 3 applies."
    spans = split_sentences(text)
    sentences = [text[s:e] for s, e in spans]
    assert sentences == [
        "The U.S. Trade Representative shall act.",
        "See 50 U.S.C. 1701 et seq. for details.",
        "Sec. 3 applies.",
    ]


def test_enumerated_lines_are_separate_sentences():
    text = "The following are revoked:\n(a) Executive Order 1 of 2021.\n(b) Executive Order 2 of 2021."
    sentences = [text[s:e] for s, e in split_sentences(text)]
    assert sentences == ["The following are revoked:", "(a) Executive Order 1 of 2021.", "(b) Executive Order 2 of 2021."]


def test_blocks_split_markdown_headings_and_lists():
    text = "# Title\n\n## Summary\n\n**Date:** April 02, 2025\n\nIntro line\n- item one\n- item two\n### Section 1.\n\nBody."
    blocks = [text[s:e] for s, e in split_blocks(text)]
    assert blocks == ["# Title", "## Summary", "**Date:** April 02, 2025", "Intro line", "- item one", "- item two",
                      "### Section 1.", "Body."]


def test_heading_detection():
    assert heading_of("### Section 3.") == (3, "Section 3.")
    assert heading_of("## Executive Order 14257") == (2, "Executive Order 14257")
    assert heading_of("Sec. 4. Definitions. For purposes of this order:") == (3, "Sec. 4.")
    assert heading_of("Section 4(b) of Executive Order 14257 provided") is None
    # a heading line that carries the section's text is named by its label; a titled section keeps its title
    assert heading_of("### Section 7. Executive Order No 12008 is revoked.") == (3, "Section 7.")
    assert heading_of("### Section 5. — Claims by or against the United States") == (
        3, "Section 5. — Claims by or against the United States")


def test_clauses_split_long_enumerations():
    text = "The Secretary shall: (a) report within 90 days; (b) consult the USTR; and (c) publish the findings."
    clauses = [text[s:e] for s, e in split_clauses(text, 0, len(text))]
    assert clauses[0].startswith("The Secretary shall:")
    assert any(c.startswith("(b) consult") for c in clauses)
    assert all(text.find(c) >= 0 for c in clauses)


def test_a_paragraph_break_inside_a_name_or_a_citation_does_not_end_a_sentence():
    # as in documents converted from the Federal Register
    text = ("The Institute was created by the Administration of President Lyndon B.\n\nJohnson more than 50 years ago."
            "\n\nSee Definition of Showerhead, 86 \nFed.\n\nReg\n. 71797 (December 20, 2021).\n\nNext point.")
    sentences = [text[s:e] for s, e in split_sentences(text)]
    assert sentences == [
        "The Institute was created by the Administration of President Lyndon B.\n\nJohnson more than 50 years ago.",
        "See Definition of Showerhead, 86 \nFed.\n\nReg\n. 71797 (December 20, 2021).",
        "Next point.",
    ]


def test_a_short_capitalised_fragment_after_us_continues_the_sentence_and_a_whole_sentence_does_not():
    text = ("Migration came through the U.S.\n\nRefugee Admissions Program (USRAP).\n\nCompanies invest in the U.S."
            "\n\nThe order applies to every agency of the Federal Government from today.")
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Migration came through the U.S.\n\nRefugee Admissions Program (USRAP).",
        "Companies invest in the U.S.",
        "The order applies to every agency of the Federal Government from today.",
    ]
