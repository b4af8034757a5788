"""Follow-up detection and the standalone retrieval query, without a language model."""

from assistant.answers import Turn
from assistant.conversation import is_follow_up, standalone_query

HISTORY = [
    Turn("user", "What did the February 25 copper order set in motion?"),
    Turn("assistant", "EO 14220 directed the Secretary of Commerce to open a Section 232 investigation into copper imports [1]."),
]


def test_continuations_and_references_are_follow_ups():
    assert is_follow_up("And when does it take effect?", HISTORY)
    assert is_follow_up("How long does Commerce have to report back?", HISTORY)
    assert is_follow_up("What does that investigation cover?", HISTORY)


def test_new_topics_and_first_questions_stand_alone():
    assert not is_follow_up("What is the recipe for chocolate cake?", HISTORY)
    assert not is_follow_up("Which agencies were eliminated by the March 14 order on the federal bureaucracy?", HISTORY)
    assert not is_follow_up("And when does it take effect?", [])


def test_standalone_query_carries_the_last_exchange():
    query = standalone_query("How long does Commerce have to report back?", HISTORY)
    assert query.is_follow_up
    assert "copper" in query.dense_query and "[1]" not in query.dense_query
    assert "copper" in query.context_terms
    assert query.earlier_question == next(t.content for t in HISTORY if t.role == "user")
    assert "Section 232" in query.earlier_answer and "[1]" not in query.earlier_answer
    plain = standalone_query("What is the recipe for chocolate cake?", HISTORY)
    assert plain.dense_query == plain.question and not plain.context_terms and not plain.earlier_question
