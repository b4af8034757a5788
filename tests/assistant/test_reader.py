"""The trained reader: its features, the shipped models, the int8 cross-encoder against full precision, and
answers over the demo corpus with the real bundled embedding model and an embedded Chroma store."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.analysis import analyze
from assistant.extractive import Candidate
from assistant.reader import (
    ANSWERABILITY_FEATURES,
    FEATURES,
    MODEL_DIR,
    QUESTION_KINDS,
    ReaderModel,
    answerability_features,
    best_of_each_document,
    blend,
    features,
    question_kinds,
    reading_text,
)
from vectorstore.hits import RetrievedChunk
from vectorstore.lexical import tokenize


def candidate(text: str, source: str = "a.md", rank: int = 0, start: int = 0, title: str = "An order") -> Candidate:
    chunk = RetrievedChunk(chunk_id=f"{source}#{rank}", source=source, title=title, text=text, start=start,
                           end=start + len(text), score=0.5, dense_score=0.6, lexical_score=0.4)
    return Candidate(chunk=chunk, start=start, end=start + len(text), text=text, chunk_rank=rank,
                     terms=frozenset(tokenize(text)))


def features_of(question: str, texts: list[str]) -> np.ndarray:
    return features(analyze(question), [candidate(t, start=100 * i) for i, t in enumerate(texts)],
                          idf=lambda terms: {t: 1.0 for t in terms}, is_boilerplate=lambda s: False,
                          document_length=lambda source: 1000)


def test_one_row_per_candidate_and_one_column_per_feature():
    rows = features_of("How many days does the Secretary have to report?",
                       ["The Secretary shall report within 90 days.", "This order is effective immediately."])
    assert rows.shape == (2, len(FEATURES))
    column = dict(zip(FEATURES, rows.T))
    assert column["coverage"][0] > column["coverage"][1], "the sentence with the question's words covers more"
    assert column["states_period"][0] == 1 and column["states_period"][1] == 0
    assert column["asks_how_long"][0] == 1 and column["asks_why"][0] == 0
    assert column["coverage_gap"][0] == 0 and column["coverage_gap"][1] > 0


def test_question_kinds_read_the_wording():
    kinds = dict(zip(QUESTION_KINDS, question_kinds(analyze("Who chairs the council, and when must it report?"))))
    assert kinds["who"] == 1 and kinds["when"] == 1 and kinds["how_much"] == 0


def test_a_follow_up_is_read_with_the_question_it_follows():
    history = [{"role": "user", "content": "Who chairs the board?"}, {"role": "assistant", "content": "The Secretary."}]
    assert analyze("And when does it meet?", history).reading == "And when does it meet? (Who chairs the board?)"
    assert analyze("When does the board start?").reading == "When does the board start?"


def test_the_cross_encoder_reads_the_sentence_then_where_it_stands():
    c = candidate("The Secretary shall report within 90 days.", title="Executive Order 10000—Reports")
    c.section = "Sec. 2. Reports"
    assert reading_text(c) == "The Secretary shall report within 90 days. | Executive Order 10000—Reports > Sec. 2. Reports"


def test_blend_weighs_the_screen_and_the_cross_encoder():
    screen, logits = np.array([0.2, 0.8]), np.array([10.0, -10.0])
    assert np.allclose(blend(screen, logits, 0.0), screen)
    assert np.allclose(blend(screen, logits, 1.0), [1.0, 0.0], atol=1e-4)


def test_the_shipped_models_read_the_features_the_code_computes():
    model = ReaderModel()
    assert model.available
    assert int(model.screen.feature.max()) < len(FEATURES)
    assert model.meta["features"] == FEATURES
    assert 0 < model.meta["answerable_threshold"] < 1 and model.meta["shortlist"] >= 4
    assert 0 < model.meta["cross_encoder_weight"] <= 1
    assert int(model.answerability.feature.max()) < len(ANSWERABILITY_FEATURES)


def test_the_numpy_answerability_model_gives_lightgbms_probabilities():
    import lightgbm

    booster = lightgbm.Booster(model_file=str(MODEL_DIR / "answerability.txt"))
    assert booster.num_feature() == len(ANSWERABILITY_FEATURES)
    rows = np.random.default_rng(1).normal(scale=3.0, size=(300, len(ANSWERABILITY_FEATURES)))
    assert np.allclose(ReaderModel().answerability.predict(rows), booster.predict(rows), rtol=0, atol=1e-12)


def test_answerability_reads_how_sure_the_models_are_of_the_best_sentence():
    rows = features_of("How many days does the Secretary have to report?",
                       ["The Secretary shall report within 90 days.", "This order is effective now.",
                        "The Council shall meet."])
    screened = np.array([0.9, 0.2, 0.1])
    shortlist = np.array([0, 1])
    logits = np.array([4.0, -2.0])
    row = answerability_features(rows, screened, shortlist, logits, blend(screened[shortlist], logits, 1.0))
    named = dict(zip(ANSWERABILITY_FEATURES, row))
    assert len(row) == len(ANSWERABILITY_FEATURES)
    assert named["best_logit"] == 4.0 and named["second_logit"] == -2.0 and named["logit_gap"] == 6.0
    assert named["best_coverage"] == rows[0, FEATURES.index("coverage")] and named["candidates"] == 3.0


def test_the_numpy_screen_gives_lightgbms_probabilities():
    """The shipped screen.npz (read without LightGBM) against LightGBM reading the same model's screen.txt."""
    import lightgbm

    booster = lightgbm.Booster(model_file=str(MODEL_DIR / "screen.txt"))
    assert booster.num_feature() == len(FEATURES)
    rows = np.random.default_rng(0).normal(scale=3.0, size=(200, len(FEATURES)))
    rows[:, FEATURES.index("chunk_rank")] = np.arange(200) % 12
    rows = np.vstack([rows, features_of("How many days does the Secretary have to report?",
                                        ["The Secretary shall report within 90 days.", "This order is effective now."])])
    assert np.allclose(ReaderModel().screen.predict(rows), booster.predict(rows), rtol=0, atol=1e-12)


def test_the_screen_refuses_rows_of_another_feature_list():
    """Rows collected under another feature list would be read column by column all the same, and scored wrong."""
    with pytest.raises(ValueError, match=f"trained on {len(FEATURES)}"):
        ReaderModel().screen.predict(np.zeros((1, len(FEATURES) + 2)))


def test_a_sentence_scores_the_same_alone_and_beside_longer_ones():
    """Padding a short sentence to a long neighbour's length changed its int8 logit by up to 3: the shortlist's
    order must not depend on which sentences share the call."""
    reference = json.loads((MODEL_DIR / "cross_encoder_reference.json").read_text())
    by_length = sorted(reference, key=lambda r: len(r["question"]) + len(r["sentence"]))
    short, longest = by_length[0], by_length[-1]["sentence"]
    model = ReaderModel().cross_encoder
    alone = model.logits(short["question"], [short["sentence"]])[0]
    beside = model.logits(short["question"], [longest, short["sentence"], longest])
    assert beside[1] == pytest.approx(alone, abs=1e-4)
    assert beside[0] == pytest.approx(model.logits(short["question"], [longest])[0], abs=1e-4)


def test_pairs_read_side_by_side_keep_their_order_and_their_scores():
    """The pairs of a call run on a pool of threads: each logit comes back in its text's place, as it is alone."""
    reference = json.loads((MODEL_DIR / "cross_encoder_reference.json").read_text())[:9]
    model = ReaderModel().cross_encoder
    question = reference[0]["question"]
    together = model.logits(question, [r["sentence"] for r in reference])
    alone = [model.logits(question, [r["sentence"]])[0] for r in reference]
    assert together == pytest.approx(alone, abs=1e-4)
    assert len(set(np.round(together, 3))) > 1


def test_int8_cross_encoder_scores_match_full_precision():
    """The shipped int8 model against the fp32 model's logits on validation pairs, kept by the training script."""
    reference = json.loads((MODEL_DIR / "cross_encoder_reference.json").read_text())
    model = ReaderModel().cross_encoder
    got = np.array([model.logits(r["question"], [r["sentence"]])[0] for r in reference])
    expected = np.array([r["fp32_logit"] for r in reference])
    assert np.corrcoef(got, expected)[0, 1] > 0.99
    # measured here (AVX-512): 0.45 at a spread (standard deviation) of 2.1; int8 kernels differ between CPUs
    assert np.abs(got - expected).max() < 0.35 * expected.std()
    assert np.abs(got - expected).mean() < 0.1 * expected.std()
    assert ((got > 0) == (expected > 0)).mean() >= 0.95, "the same answers pass the even-odds line"


def test_a_question_about_two_documents_gets_the_best_of_each():
    ranked = [("a.md", 0.9), ("a.md", 0.8), ("b.md", 0.3), ("c.md", 0.2), ("b.md", 0.6)]
    assert best_of_each_document(ranked, 2) == [0, 4]
    assert best_of_each_document(ranked[:2], 2) == [0], "one document read: its best alone"


def test_a_question_about_two_documents_may_quote_two_sentences_of_each():
    from assistant.reader import ReaderAnswerer, ReaderModel

    a1, a2, a3 = (candidate(f"Sentence {n} of a.", "a.md", start=100 * n) for n in range(3))
    b1, b2 = (candidate(f"Sentence {n} of b.", "b.md", start=100 * n) for n in range(2))
    c1 = candidate("The only sentence of c.", "c.md")
    ranked = [(a1, 0.9), (b1, 0.6), (a2, 0.5), (c1, 0.4), (b2, 0.3), (a3, 0.01)]
    answerer = ReaderAnswerer(None, None, None, None, model=ReaderModel())
    assert answerer.choose_per_document(ranked) == [a1, a2, b1, b2], "a third document and unlikely sentences left out"


@pytest.fixture(scope="module")
def trained_assistant(demo_assistant_with):
    return demo_assistant_with()


# written for this test over the demo corpus, not taken from any question set: (question, source, fact)
ANSWERABLE = [
    ("For how long does the Attorney General review FCPA enforcement guidelines under the pause order?",
     "eo2025/02-February/2025-02-10-executive-order-14209.md", "180 days"),
    ("How many delegates attended the session of the India-Russia working group?", "seed_india_russia.txt", "80"),
    ("What does the GAO estimate the federal government loses to fraud each year?",
     "eo2025/03-March/2025-03-25-executive-order-14249.md", "521 billion"),
    ("Until when is enforcement of the country-specific reciprocal duties suspended?",
     "eo2025/04-April/2025-04-09-executive-order-14266.md", "July 9, 2025"),
    ("Within how many days must agency heads send OIRA their list of regulations under the deregulatory initiative?",
     "eo2025/02-February/2025-02-19-executive-order-14219.md", "60 days"),
    ("How many staffers work in the Department of Education's public relations office?",
     "eo2025/03-March/2025-03-20-executive-order-14242.md", "80 staffers"),
]
OUT_OF_CORPUS = [
    "What is the recipe for a classic French omelette?",
]


@pytest.mark.integration
def test_the_trained_reader_quotes_the_answer(trained_assistant):
    """Most questions get the fact, quoted verbatim from the right document (measured: 4 of 6; the misses are a
    refusal on the news article and a window of a long sentence that stops before its date)."""
    failures = []
    for question, source, fact in ANSWERABLE:
        answer = trained_assistant.ask(question)
        for citation in answer.citations:
            assert trained_assistant.document_text(citation.source)[citation.start:citation.end] == citation.quote
        if answer.refused or fact not in answer.answer or source not in {c.source for c in answer.citations}:
            failures.append(f"{question} -> {answer.answer[:160]}")
    assert len(failures) <= 2, "\n".join(failures)


@pytest.mark.integration
@pytest.mark.parametrize("question", OUT_OF_CORPUS)
def test_the_trained_reader_refuses_what_the_documents_do_not_say(trained_assistant, question):
    answer = trained_assistant.ask(question)
    assert answer.refused and answer.citations == [], answer.answer
    assert "closest documents" in answer.answer


@pytest.mark.integration
def test_a_sum_written_as_n_dollars_is_answered_not_refused(tmp_path, embedder):
    """Issue 19 item 4: the rules refused "How much ...?" over "42 dollars per TEU" as stating no amount."""
    import shutil

    from assistant.core import build_assistant
    from assistant.settings import Settings

    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(Path(__file__).resolve().parents[1] / "fixtures" / "harbor_memo.md", docs)
    assistant = build_assistant(Settings(store=tmp_path / "store"))
    assistant.__dict__["embedder"] = embedder
    assistant.ingest([docs], progress=False)
    answer = assistant.ask("How much is the harbor congestion fee (per TEU)?")
    assert not answer.refused and "42 dollars per TEU" in answer.answer
    assert answer.citations[0].source == "harbor_memo.md"


@pytest.mark.integration
def test_a_question_about_two_orders_quotes_both(trained_assistant):
    """Issue 17 item 4: a question that asks one thing of each of two orders is answered from each (the rules and
    the reader's single ranking quoted the better-matching order twice)."""
    answer = trained_assistant.ask("How long does the Attorney General have to review the FCPA guidelines under the "
                                   "February 10 order, and how quickly must agencies assess their Perkins Coie "
                                   "contracts under the March 6 order?")
    assert not answer.refused, answer.answer
    assert {c.source for c in answer.citations} >= {"eo2025/02-February/2025-02-10-executive-order-14209.md",
                                                    "eo2025/03-March/2025-03-06-executive-order-14230.md"}
    assert "180 days" in answer.answer and "30 days" in answer.answer, answer.answer


@pytest.mark.integration
def test_a_question_in_two_parts_gets_a_sentence_for_each(trained_assistant):
    """Issue 17 item 4: each part of a question is read on its own; one ranking for the whole question quoted the
    fraud estimate alone, without the department the second part asks for."""
    answer = trained_assistant.ask("What does the GAO estimate the government loses to fraud each year, and which "
                                   "department is the largest payment manager?")
    assert not answer.refused, answer.answer
    assert "521 billion" in answer.answer and "Department of the Treasury" in answer.answer, answer.answer
    assert {c.source for c in answer.citations} == {"eo2025/03-March/2025-03-25-executive-order-14249.md"}


LONG_SENTENCE = (
    "Sec. 2. I hereby find that the continued detention of political prisoners, efforts to undermine or obstruct "
    "the political reform process, efforts to undermine or obstruct the peace process with ethnic minorities, "
    "military trade with North Korea, and human rights abuses, particularly in ethnic areas, constitute an unusual "
    "and extraordinary threat to the national security and foreign policy of the United States. "
    "This order is effective immediately.")


def test_a_window_cut_inside_its_sentence_runs_on_within_the_word_budget():
    """The reader picks a window of a long sentence; the quote goes on through the sentence's later windows while
    the answer stays within EXTENDED_ANSWER_WORDS, and is still the document's text at its offsets."""
    from assistant.extractive import CandidateFinder
    from assistant.reader import EXTENDED_ANSWER_WORDS, ReaderAnswerer

    chunk = RetrievedChunk(chunk_id="burma", source="burma.md", title="Burma", text=LONG_SENTENCE, start=0,
                           end=len(LONG_SENTENCE), score=0.5)
    finder = CandidateFinder(document_text=lambda _: LONG_SENTENCE)
    first_window = next(c for c in finder.candidates([chunk]) if c.text.startswith("I hereby find") and c.ends)
    assert "North Korea" not in first_window.text
    reader = ReaderAnswerer(finder, idf=None, is_boilerplate=None, document_text=lambda _: LONG_SENTENCE)
    [(candidate, start, end, quote)] = reader.extended(reader.with_leads([first_window]))
    assert quote == LONG_SENTENCE[start:end] and start == first_window.start and end > first_window.end
    assert "military trade with North Korea" in quote and len(quote.split()) <= EXTENDED_ANSWER_WORDS
    assert "effective immediately" not in quote, "it stops at its own sentence's end"


def test_a_window_of_a_sentence_without_commas_runs_on_to_the_sentences_end():
    """Executive Order 10605's sentence has no comma in 60 words, so no later window holds its answer ("a prorated
    share"): the first window runs on to the sentence's end all the same."""
    from assistant.extractive import CandidateFinder
    from assistant.reader import EXTENDED_ANSWER_WORDS, ReaderAnswerer

    text = ("SECTION 1. Enlisted members who are being subsisted in kind in a mess and whose duties require them to be "
            "absent from their station during one or more meals shall be entitled for each such meal to a prorated "
            "share of the daily basic allowance for subsistence authorized for members on duty at stations where "
            "rations in kind are not available. The Secretary of Defense shall establish the amount.")
    chunk = RetrievedChunk(chunk_id="mess", source="mess.md", title="Subsistence", text=text, start=0, end=len(text),
                           score=0.5)
    finder = CandidateFinder(document_text=lambda _: text)
    window = next(c for c in finder.candidates([chunk]) if c.text.startswith("Enlisted members"))
    assert "prorated" not in window.text
    reader = ReaderAnswerer(finder, idf=None, is_boilerplate=None, document_text=lambda _: text)
    [(_, start, end, quote)] = reader.extended(reader.with_leads([window]))
    assert quote == text[start:end] and quote.endswith("rations in kind are not available.")
    assert len(quote.split()) <= EXTENDED_ANSWER_WORDS


def test_a_question_that_asks_for_a_list_runs_on_further_to_reach_its_items():
    from assistant.extractive import CandidateFinder
    from assistant.reader import EXTENDED_ANSWER_WORDS, LIST_ANSWER_WORDS, ReaderAnswerer

    items = "; ".join(f"({chr(97 + i)}) the Director of Office number {i + 1}" for i in range(16))
    text = f"Sec. 1. The working group shall consist of the following members: {items}. Sec. 2. It shall meet monthly."
    chunk = RetrievedChunk(chunk_id="group", source="group.md", title="Group", text=text, start=0, end=len(text),
                           score=0.5)
    finder = CandidateFinder(document_text=lambda _: text)
    first_window = next(c for c in finder.candidates([chunk]) if c.text.startswith("The working group") and c.ends)
    reader = ReaderAnswerer(finder, idf=None, is_boilerplate=None, document_text=lambda _: text)
    [(*_, plain)] = reader.extended(reader.with_leads([first_window]))
    [(*_, listed)] = reader.extended(reader.with_leads([first_window]), frozenset({"list"}))
    assert len(plain.split()) <= EXTENDED_ANSWER_WORDS < len(listed.split()) <= LIST_ANSWER_WORDS
    assert listed.startswith(plain) and "Office number 10" in listed and "Office number 10" not in plain
