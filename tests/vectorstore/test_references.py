"""Dates that a question names, as pointers to the documents of that date."""

from __future__ import annotations

import pytest

from vectorstore.references import DateMention, date_mentions, instrument_mentions, titles_instrument


@pytest.mark.parametrize(
    "question, expected",
    [
        ("Which agencies were on the list in the March 14 order?", [DateMention(3, 14, None)]),
        ("How was potash treated in the March 6, 2025 adjustments?", [DateMention(3, 6, 2025)]),
        ("What changed after the March 2025 amendment?", [DateMention(3, None, 2025)]),
        ("What did the 2025-04-02 order set?", [DateMention(4, 2, 2025)]),
        ("What did the orders of April 2 and April 9 do?", [DateMention(4, 2, None), DateMention(4, 9, None)]),
        ("What was ordered in March?", []),  # a month alone names no document
        ("Which order set a 10 percent tariff?", []),
        ("What happens on February 30?", [DateMention(2, 30, None)]),  # kept: it matches no document's date
        ("What happens on March 45?", []),
    ],
)
def test_date_mentions(question, expected):
    assert date_mentions(question) == expected


def test_a_mention_names_the_documents_of_its_day_month_and_year():
    march_14 = DateMention(3, 14, None)
    assert march_14.names("2025-03-14") and march_14.names("1951-03-14")
    assert not march_14.names("2025-03-15") and not march_14.names(None) and not march_14.names("undated")
    march_2025 = DateMention(3, None, 2025)
    assert march_2025.names("2025-03-01") and not march_2025.names("2024-03-01")
    assert (march_14.like_pattern, march_2025.like_pattern) == ("____-03-14%", "2025-03-__%")


def test_instrument_mentions():
    assert instrument_mentions("What does EO 14257 say, and Executive Order No. 14193, and Proclamation 10896?") == [
        ("EO", "14257"), ("Executive Order", "14193"), ("Proclamation", "10896")]
    assert instrument_mentions("What does section 232 of the Trade Expansion Act of 1962 allow?") == []


def test_a_title_names_an_instrument_of_the_same_kind_and_number():
    title = "Executive Order 14257: Regulating Imports With a Reciprocal Tariff"
    assert titles_instrument(title, "EO", "14257") and titles_instrument(title, "executive order", "14257")
    assert not titles_instrument(title, "EO", "1425") and not titles_instrument(title, "Proclamation", "14257")
    # the full corpus holds Eisenhower's Executive Order 10896; it is not "Proclamation 10896"
    old = "Executive Order 10896—Amendment of Executive Order No. 6260 of August 28, 1933"
    assert titles_instrument(old, "E.O.", "10896") and not titles_instrument(old, "Proclamation", "10896")
    assert titles_instrument("Proclamation No. 10896: Adjusting Imports of Steel", "Proclamation", "10896")


def test_years_are_read_only_when_asked_for():
    from vectorstore.references import NamedDocuments, year_mentions

    question = "Who administered the act under Truman's January 1950 order, and who under his 1951 one (not 1950)?"
    assert year_mentions(question) == [1950, 1951]
    assert [m.year for m in NamedDocuments.in_text(question, years=True).years] == [1950, 1951]
    assert NamedDocuments.in_text(question).years == ()
    assert year_mentions("Section 1702 of title 50 and 12,000 dollars") == []


def test_each_year_comes_with_its_clause_and_date():
    from vectorstore.references import NamedDocuments

    question = ("Eisenhower's 1955 source-material order and Johnson's January 1964 national forest order each did "
                "away with an earlier instrument. Which one did each eliminate?")
    first, second = NamedDocuments.in_text(question, years=True).years
    assert (first.year, first.like_pattern, first.clause) == (1955, "1955-%", "Eisenhower's 1955 source-material order")
    assert (second.year, second.like_pattern) == (1964, "1964-01-__%")
    assert second.clause.startswith("Johnson's January 1964 national forest order each did away")
    on_a_day = NamedDocuments.in_text("How was potash treated in the March 6, 2025 adjustments, and from when?", years=True)
    assert [(m.like_pattern, m.clause) for m in on_a_day.years] == [("2025-03-06%", "How was potash treated in the "
                                                                      "March 6, 2025 adjustments")]
