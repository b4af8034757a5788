"""Unit tests of the batch evaluation: loading, every metric on hand-made cases, resume, report.

The `ask` callables and result dicts here are stand-ins for the assistant: they let each
metric be checked against values worked out by hand, which is all these unit tests are for.
End-to-end quality on the real corpus is measured by running `policyqa eval` itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.evaluation import (
    EvalQuestion,
    compute_summary,
    evaluate,
    keyword_in_answer,
    load_questions,
    question_failures,
    quotes_overlap,
    run_eval,
    same_document,
    summary_deltas,
    write_report,
)


def q(
    qid: str,
    *,
    evidence: list[dict] | None = None,
    keywords: list[str] | None = None,
    qtype: str = "factoid",
    answer: str | None = None,
    question: str | None = None,
) -> EvalQuestion:
    return EvalQuestion(
        id=qid,
        question=question or f"question {qid}?",
        history=[],
        answer=answer,
        keywords=keywords,
        evidence=evidence,
        type=qtype,
    )


def ev(doc: str, quote: str = "some gold quote") -> dict:
    return {"doc": doc, "quote": quote}


def res(
    qid: str,
    *,
    answer: str = "an answer",
    retrieved: list[str] = (),
    citations: list[dict] = (),
    refused: bool = False,
    latency_ms: float = 10.0,
    **extra,
) -> dict:
    return {
        "id": qid,
        "question": f"question {qid}?",
        "answer": answer,
        "citations": list(citations),
        "refused": refused,
        "retrieved": [{"source": s, "chunk_id": f"{s}#{i}", "score": 0.5} for i, s in enumerate(retrieved)],
        "latency_ms": latency_ms,
        **extra,
    }


def cite(source: str, quote: str = "cited text", start: int = 0, end: int | None = None, n: int = 1) -> dict:
    return {
        "n": n,
        "source": source,
        "title": source,
        "chunk_id": f"{source}#0",
        "quote": quote,
        "start": start,
        "end": len(quote) if end is None else end,
        "page": None,
        "score": 0.5,
    }


def err(qid: str) -> dict:
    return {
        "id": qid,
        "question": f"question {qid}?",
        "error": "RuntimeError: boom",
        "answer": "",
        "citations": [],
        "retrieved": [],
        "refused": False,
        "latency_ms": 0,
    }


def no_docs(_source: str) -> str | None:
    return None


def summarise(questions: list[EvalQuestion], results: list[dict], texts: dict[str, str] | None = None) -> dict:
    return compute_summary(questions, results, (texts or {}).get)


# ---------------------------------------------------------------------------- loading


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_load_questions_reads_optional_fields_and_defaults(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "qs.jsonl",
        [
            json.dumps(
                {
                    "id": "a",
                    "question": "What?",
                    "answer": "That.",
                    "keywords": ["that"],
                    "evidence": [ev("d.md", "that")],
                    "type": "factoid",
                    "history": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
                }
            ),
            "",
            json.dumps({"id": "b", "question": "Unanswerable?", "evidence": []}),
            json.dumps({"id": 3, "question": "No gold?"}),
        ],
    )
    a, b, c = load_questions(path)
    assert a == EvalQuestion(
        id="a",
        question="What?",
        history=[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}],
        answer="That.",
        keywords=["that"],
        evidence=[ev("d.md", "that")],
        type="factoid",
    )
    assert (b.evidence, b.type, b.history, b.keywords) == ([], "untyped", [], None)
    assert b.answerable is False
    assert (c.id, c.evidence, c.answerable) == ("3", None, None)


@pytest.mark.parametrize(
    ("second_line", "message"),
    [
        ('{"id": "b", "question": ', "invalid JSON"),
        ('{"question": "no id"}', "'id'"),
        ('{"id": "b"}', "'question'"),
        ('{"id": "a", "question": "again"}', "duplicate id 'a'"),
        ('{"id": "b", "question": "x", "evidence": [{"doc": "d"}]}', "'evidence'"),
        ('{"id": "b", "question": "x", "keywords": "one"}', "'keywords'"),
        ('["not", "an", "object"]', "JSON object"),
    ],
)
def test_load_questions_errors_name_file_and_line(tmp_path: Path, second_line: str, message: str) -> None:
    path = write_lines(tmp_path / "bad.jsonl", ['{"id": "a", "question": "fine"}', second_line])
    with pytest.raises(ValueError) as info:
        load_questions(path)
    assert "bad.jsonl" in str(info.value)
    assert "line 2" in str(info.value)
    assert message in str(info.value)


# ---------------------------------------------------------------------------- retrieval


def test_retrieval_hits_and_mrr_over_distinct_sources() -> None:
    gold = [ev("gold.md")]
    questions = [
        q("r1", evidence=gold),
        q("r2", evidence=gold),
        q("r3", evidence=gold),
        q("r4", evidence=gold),
        q("no_gold"),  # no evidence key: excluded
        q("unans", evidence=[]),  # unanswerable: excluded
    ]
    others = [f"o{i}.md" for i in range(12)]
    results = [
        res("r1", retrieved=["gold.md", "o1.md"]),  # distinct rank 1
        res("r2", retrieved=["o1.md", "o1.md", "o1.md", "gold.md"]),  # rank 2 once o1 is deduped (4 raw)
        res("r3", retrieved=others[:6] + ["gold.md"]),  # rank 7
        res("r4", retrieved=others[:10] + ["gold.md"]),  # rank 11: outside the top 10
        res("no_gold", retrieved=["gold.md"]),
        res("unans", retrieved=["gold.md"]),
    ]
    overall = summarise(questions, results)["overall"]
    counts = summarise(questions, results)["counts"]["overall"]
    # hit@1: r1 only -> 1/4; hit@5: r1, r2 -> 2/4; hit@10: r1, r2, r3 -> 3/4
    assert (overall["hit@1"], overall["hit@5"], overall["hit@10"]) == (0.25, 0.5, 0.75)
    # MRR@10 = (1 + 1/2 + 1/7 + 0) / 4 = 1.642857 / 4 = 0.410714
    assert overall["mrr@10"] == 0.4107
    assert counts["hit@1"] == counts["mrr@10"] == 4


def test_retrieval_spec_example_mrr() -> None:
    questions = [q(f"m{i}", evidence=[ev("g.md")]) for i in range(3)]
    results = [
        res("m0", retrieved=["g.md"]),
        res("m1", retrieved=["x.md", "g.md"]),
        res("m2", retrieved=["x.md", "y.md"]),
    ]
    # (1 + 1/2 + 0) / 3 = 0.5
    assert summarise(questions, results)["overall"]["mrr@10"] == 0.5


def test_multi_doc_gold_counts_any_gold_doc_and_path_suffixes() -> None:
    questions = [q("m", evidence=[ev("a/one.md"), ev("b/two.md")])]
    results = [res("m", retrieved=["x.md", "corpus/b/two.md"])]
    # the second gold doc appears at rank 2 under a parent folder -> RR 1/2
    overall = summarise(questions, results)["overall"]
    assert (overall["hit@1"], overall["hit@5"], overall["mrr@10"]) == (0.0, 1.0, 0.5)
    assert same_document("./a\\one.md", "a/one.md")
    assert not same_document("xa/one.md", "a/one.md")


# ---------------------------------------------------------------------------- answers


def test_keyword_normalisation_ignores_case_and_all_whitespace() -> None:
    assert keyword_in_answer("1.2 Trillion", "reaching $1.2trillion in 2024")
    assert keyword_in_answer("1.2trillion", "reaching $1.2 \n TRILLION in 2024")
    assert keyword_in_answer("April 10, 2025", "on or after april 10,2025")
    assert not keyword_in_answer("1.2 trillion", "reaching $1.3 trillion")


def test_keyword_accuracy_needs_every_keyword_and_counts_refusals_as_is() -> None:
    questions = [
        q("k1", keywords=["1.2 Trillion"]),
        q("k2", keywords=["233", "521"]),
        q("k3", keywords=["not found"]),
        q("k4", keywords=[]),  # empty: excluded
        q("k5"),  # none: excluded
    ]
    results = [
        res("k1", answer="It reached $1.2\ntrillion [1]."),  # hit
        res("k2", answer="About $233 billion [1]."),  # 521 missing: miss
        res("k3", answer="The documents say it was NOT FOUND.", refused=True),  # refused, text still matches: hit
        res("k4", answer="x"),
        res("k5", answer="x"),
    ]
    summary = summarise(questions, results)
    # 2 of 3 -> 0.6667
    assert summary["overall"]["keyword_accuracy"] == 0.6667
    assert summary["counts"]["overall"]["keyword_accuracy"] == 3


def test_median_answer_words_strips_markers_and_skips_refused_and_errors() -> None:
    questions = [q(f"w{i}") for i in range(5)]
    results = [
        res("w0", answer="Tariffs rose [1] sharply [2]."),  # 3 words; "." alone is not a word
        res("w1", answer="One two three four five [1][2, 3]"),  # 5 words
        res("w2", answer="I could not find this in the documents at all.", refused=True),  # skipped
        err("w3"),  # skipped
        res("w4", answer="Yes [3]"),  # 1 word
    ]
    summary = summarise(questions, results)
    # median of [3, 5, 1] = 3
    assert summary["overall"]["median_answer_words"] == 3
    assert summary["counts"]["overall"]["median_answer_words"] == 3


# ---------------------------------------------------------------------------- citations


def test_citation_precision_is_micro_averaged_over_answerable_cited_questions() -> None:
    questions = [
        q("p1", evidence=[ev("A.md")]),
        q("p2", evidence=[ev("B.md")]),
        q("p3", evidence=[ev("C.md")]),  # no citations: excluded
        q("p4", evidence=[]),  # unanswerable: excluded
    ]
    results = [
        res("p1", citations=[cite("A.md"), cite("A.md", n=2), cite("B.md", n=3)]),  # 2 of 3 gold
        res("p2", citations=[cite("B.md")]),  # 1 of 1
        res("p3"),
        res("p4", citations=[cite("A.md")]),
    ]
    summary = summarise(questions, results)
    # micro: (2 + 1) / (3 + 1) = 0.75   (a macro average would be (2/3 + 1) / 2 = 0.8333)
    assert summary["overall"]["citation_precision"] == 0.75
    assert summary["counts"]["overall"]["citation_precision"] == 2


GOLD_LONG = (
    "the secretary of commerce shall submit a report to the president within 270 days "
    "of the date of this order, including findings and recommendations"
)


def test_quotes_overlap_containment_either_way_after_normalising() -> None:
    assert quotes_overlap("Reaching $1.2 trillion\n in 2024", "which grew, reaching $1.2  TRILLION in 2024.")
    assert quotes_overlap(GOLD_LONG, "270 days")  # the citation is inside the gold quote
    assert not quotes_overlap(GOLD_LONG, "")


def test_quotes_overlap_common_substring_threshold_is_40_chars_for_long_quotes() -> None:
    assert len(GOLD_LONG) >= 80  # half of it is over 40, so the threshold is 40 characters
    # '#' does not occur in the gold quote, so the common substring is exactly the slice
    assert quotes_overlap(GOLD_LONG, "#" + GOLD_LONG[10:50] + "#")  # 40 shared characters
    assert not quotes_overlap(GOLD_LONG, "#" + GOLD_LONG[10:49] + "#")  # 39


def test_quotes_overlap_threshold_is_half_the_gold_quote_for_short_quotes() -> None:
    gold = "reaching $1.2 trillion in 2024"  # 30 characters -> threshold 15
    assert len(gold) == 30
    assert quotes_overlap(gold, "#" + gold[:15] + "#")
    assert not quotes_overlap(gold, "#" + gold[:14] + "#")


def test_evidence_recall_counts_gold_quotes_covered_by_a_citation_of_the_same_doc() -> None:
    x, y, z = "alpha beta gamma delta", "epsilon zeta eta theta", "iota kappa lambda mu"
    questions = [
        q("e1", evidence=[ev("A.md", x), ev("A.md", y)]),
        q("e2", evidence=[ev("B.md", z)]),
        q("e3", evidence=[ev("D.md", z)]),
        q("e4", evidence=[]),  # unanswerable: excluded
    ]
    results = [
        res("e1", citations=[cite("A.md", "... Alpha beta GAMMA delta, and more")]),  # x yes, y no
        res("e2", citations=[cite("C.md", z)]),  # right text, wrong doc: no
        res("e3", citations=[cite("corpus/D.md", z)]),  # yes
        res("e4", citations=[cite("A.md", x)]),
    ]
    summary = summarise(questions, results)
    # micro over gold quotes: (1 + 0 + 1) / (2 + 1 + 1) = 0.5 over 3 questions
    assert summary["overall"]["evidence_recall"] == 0.5
    assert summary["counts"]["overall"]["evidence_recall"] == 3
    assert summary["counts"]["overall"]["n_gold_quotes"] == 4


def test_citation_validity_checks_offsets_against_the_document_text() -> None:
    text = "Alpha beta gamma. Delta epsilon."
    texts = {"doc.md": text}
    good = cite("doc.md", "Delta epsilon.", start=18, end=32)
    assert text[18:32] == "Delta epsilon."
    questions = [q("v1"), q("v2"), q("v3")]
    results = [
        res("v1", citations=[good, cite("doc.md", "Delta epsilon.", start=17, end=31)]),  # valid, off by one
        res("v2", citations=[cite("doc.md", "Alpha", start=0, end=5), cite("gone.md", "Alpha", 0, 5)]),  # valid, unknown doc
        res("v3", citations=[{"source": "doc.md", "quote": "Alpha"}]),  # no offsets: invalid
    ]
    summary = summarise(questions, results, texts)
    # valid: good and "Alpha" -> 2 of 5 = 0.4
    assert summary["overall"]["citation_validity"] == 0.4
    assert summary["counts"]["overall"]["citation_validity"] == 3
    assert summary["counts"]["overall"]["n_citations"] == 5


# ---------------------------------------------------------------------------- refusals, latency, claims


def test_refusal_recall_and_false_refusal_rate() -> None:
    questions = [
        q("u1", evidence=[]),
        q("u2", evidence=[]),
        q("u3", evidence=[]),
        q("a1", evidence=[ev("A.md")]),
        q("a2", evidence=[ev("A.md")]),
        q("a3", evidence=[ev("A.md")]),
        q("a4", evidence=[ev("A.md")]),
        q("n1"),  # no evidence gold: in neither metric
    ]
    results = [
        res("u1", refused=True),
        res("u2"),
        err("u3"),  # an error is not a refusal
        res("a1", refused=True),
        res("a2"),
        res("a3"),
        res("a4"),
        res("n1", refused=True),
    ]
    summary = summarise(questions, results)
    # refusal recall 1/3; false refusals 1/4
    assert summary["overall"]["refusal_recall"] == 0.3333
    assert summary["overall"]["false_refusal_rate"] == 0.25
    assert summary["counts"]["overall"]["refusal_recall"] == 3
    assert summary["counts"]["overall"]["false_refusal_rate"] == 4
    assert summary["overall"]["n_errors"] == 1


def test_latency_percentiles_use_linear_interpolation_and_skip_errors() -> None:
    questions = [q(f"l{i}") for i in range(5)]
    results = [res(f"l{i}", latency_ms=ms) for i, ms in enumerate([400, 100, 300, 200])] + [err("l4")]
    overall = summarise(questions, results)["overall"]
    # sorted [100, 200, 300, 400]; p50 at position 1.5 -> 250; p95 at 0.95 * 3 = 2.85 -> 300 + 0.85 * 100 = 385
    assert (overall["latency_p50_ms"], overall["latency_p95_ms"], overall["latency_max_ms"]) == (250, 385, 400)


def test_supported_claims_only_when_results_carry_sentences() -> None:
    questions = [q("s1"), q("s2"), q("s3")]
    plain = [res("s1"), res("s2"), res("s3")]
    assert "supported_claims" not in summarise(questions, plain)["overall"]
    with_sentences = [
        res("s1", sentences=[{"text": "a", "supported": True}, {"text": "b", "supported": False}]),
        res("s2", sentences=[{"text": "c", "supported": True}, {"text": "d", "supported": True}]),
        res("s3"),
    ]
    summary = summarise(questions, with_sentences)
    # 3 of 4 sentences supported
    assert summary["overall"]["supported_claims"] == 0.75
    assert summary["counts"]["overall"]["supported_claims"] == 2


def test_metrics_are_none_without_gold_data() -> None:
    overall = summarise([q("x")], [res("x")])["overall"]
    for name in ("hit@1", "mrr@10", "keyword_accuracy", "citation_precision", "evidence_recall",
                 "citation_validity", "refusal_recall", "false_refusal_rate"):
        assert overall[name] is None, name
    assert overall["n_questions"] == 1


def test_missing_result_counts_as_an_error() -> None:
    questions = [q("have", keywords=["k"]), q("lost", keywords=["k"])]
    summary = summarise(questions, [res("have", answer="k")])
    # "lost" has no result: an error and a keyword miss -> 1/2
    assert summary["overall"]["n_errors"] == 1
    assert summary["overall"]["keyword_accuracy"] == 0.5


# ---------------------------------------------------------------------------- per type


def test_metrics_split_per_type() -> None:
    questions = [
        q("n1", qtype="numeric", keywords=["15 days"], evidence=[ev("A.md")]),
        q("n2", qtype="numeric", keywords=["10 percent"], evidence=[ev("B.md")]),
        q("f1", qtype="factoid", keywords=["Commerce"], evidence=[ev("C.md")]),
        q("u1", qtype="unanswerable", evidence=[]),
    ]
    results = [
        res("n1", answer="within 15 Days", retrieved=["A.md"]),  # keyword hit, rank 1
        res("n2", answer="a 5 percent fee", retrieved=["x.md", "B.md"]),  # keyword miss, rank 2
        res("f1", answer="Commerce", retrieved=["x.md"]),  # keyword hit, not retrieved
        res("u1", answer="Not in the documents.", refused=True),
    ]
    summary = summarise(questions, results)
    numeric, factoid, unanswerable = (summary["by_type"][t] for t in ("numeric", "factoid", "unanswerable"))
    assert list(summary["by_type"]) == ["numeric", "factoid", "unanswerable"]
    # numeric: keywords 1/2, hit@1 1/2, mrr (1 + 1/2)/2 = 0.75
    assert (numeric["keyword_accuracy"], numeric["hit@1"], numeric["mrr@10"]) == (0.5, 0.5, 0.75)
    assert numeric["n_questions"] == 2
    # factoid: keywords 1/1, hit@10 0/1
    assert (factoid["keyword_accuracy"], factoid["hit@10"]) == (1.0, 0.0)
    assert (unanswerable["refusal_recall"], unanswerable["hit@1"]) == (1.0, None)
    # overall: keywords 2/3, mrr (1 + 1/2 + 0)/3 = 0.5
    assert (summary["overall"]["keyword_accuracy"], summary["overall"]["mrr@10"]) == (0.6667, 0.5)
    assert summary["counts"]["by_type"]["numeric"]["hit@1"] == 2


def test_question_failures_names_each_kind_of_failure() -> None:
    answerable = q("a", evidence=[ev("A.md")], keywords=["yes"])
    assert question_failures(answerable, res("a", answer="yes", retrieved=["A.md"])) == []
    reasons = question_failures(answerable, res("a", answer="no", refused=True, retrieved=["x.md"]))
    assert [r.split(":")[0] for r in reasons] == ["wrong refusal", "keyword miss", "retrieval miss@5"]
    assert question_failures(q("u", evidence=[]), res("u"))[0].startswith("missed refusal")
    assert question_failures(answerable, err("a")) == ["error: RuntimeError: boom"]


# ---------------------------------------------------------------------------- running and resuming


class FakeAsk:
    """A stand-in for the assistant: answers with the question id, raises for chosen ids, counts calls."""

    def __init__(self, fail_ids: set[str] = frozenset(), results_path: Path | None = None) -> None:
        self.fail_ids = set(fail_ids)
        self.calls: list[str] = []
        self.results_path = results_path
        self.lines_seen: list[int] = []

    def __call__(self, question: EvalQuestion) -> dict:
        self.calls.append(question.id)
        if self.results_path is not None and self.results_path.exists():
            self.lines_seen.append(len(self.results_path.read_text(encoding="utf-8").splitlines()))
        if question.id in self.fail_ids:
            raise RuntimeError(f"boom on {question.id}")
        return {
            "question": question.question,
            "answer": f"answer to {question.id}",
            "citations": [],
            "refused": False,
            "retrieved": [],
            "latency_ms": 12.5,
        }


def read_results(out_dir: Path) -> list[dict]:
    return [json.loads(line) for line in (out_dir / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def test_run_eval_records_errors_and_resume_retries_only_them(tmp_path: Path) -> None:
    questions = [q("q1", qtype="numeric"), q("q2"), q("q3")]
    first = FakeAsk(fail_ids={"q2"}, results_path=tmp_path / "results.jsonl")
    results = run_eval(questions, first, tmp_path, progress=False)

    assert first.calls == ["q1", "q2", "q3"]
    assert first.lines_seen == [0, 1, 2]  # each line is flushed before the next question
    assert [r["id"] for r in results] == ["q1", "q2", "q3"]
    assert results[0]["type"] == "numeric" and results[0]["answer"] == "answer to q1"
    assert results[1] == {
        "id": "q2",
        "type": "factoid",
        "question": "question q2?",
        "error": "RuntimeError: boom on q2",
        "answer": "",
        "citations": [],
        "retrieved": [],
        "refused": False,
        "latency_ms": 0,
    }
    assert read_results(tmp_path) == results

    second = FakeAsk()
    results = run_eval(questions, second, tmp_path, progress=False)
    assert second.calls == ["q2"]
    on_disk = read_results(tmp_path)
    assert [r["id"] for r in on_disk] == ["q1", "q2", "q3"]
    assert not any("error" in r for r in on_disk)
    assert on_disk == results

    third = FakeAsk()
    run_eval(questions, third, tmp_path, progress=False)
    assert third.calls == []
    fresh = FakeAsk()
    run_eval(questions, fresh, tmp_path, resume=False, progress=False)
    assert fresh.calls == ["q1", "q2", "q3"]


def test_run_eval_resumes_after_an_interrupted_write(tmp_path: Path) -> None:
    questions = [q("q1"), q("q2")]
    done = {"id": "q1", "question": "question q1?", "answer": "kept", "citations": [], "refused": False,
            "retrieved": [], "latency_ms": 5}
    (tmp_path / "results.jsonl").write_text(json.dumps(done) + '\n{"id": "q2", "answ', encoding="utf-8")
    fake = FakeAsk()
    results = run_eval(questions, fake, tmp_path, progress=False)
    assert fake.calls == ["q2"]
    assert [r["answer"] for r in results] == ["kept", "answer to q2"]
    assert len(read_results(tmp_path)) == 2


def test_run_eval_shows_progress_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run_eval([q("q1")], FakeAsk(), tmp_path, progress=True)
    captured = capsys.readouterr()
    assert "eval" in captured.err and captured.out == ""


# ---------------------------------------------------------------------------- report and comparison


def report_case() -> tuple[list[EvalQuestion], list[dict], dict[str, str]]:
    text = "The fee is 10 percent. Reports are due within 270 days."
    questions = [
        q("ok", qtype="numeric", keywords=["10 percent"], evidence=[ev("A.md", "10 percent")], answer="10 percent"),
        q("bad|id", qtype="numeric", keywords=["270 days"], evidence=[ev("A.md", "270 days")],
          answer="270 days", question="How long | when?"),
        q("unans", qtype="odd|type", evidence=[], answer="NOT_IN_CORPUS"),
        q("broken", qtype="odd|type", keywords=["x"]),
    ]
    results = [
        res("ok", answer="The fee is 10 percent [1].", retrieved=["A.md"],
            citations=[cite("A.md", "The fee is 10 percent.", 0, 22)], latency_ms=100),
        res("bad|id", answer="Within 90 days [1].", retrieved=["B.md"],
            citations=[cite("B.md", "Within 90 days " + "long quote " * 40, 0, 5)], latency_ms=300),
        res("unans", answer="It is 25 percent.", latency_ms=200),
        err("broken"),
    ]
    return questions, results, {"A.md": text}


def test_write_report_writes_summary_charts_and_failures(tmp_path: Path) -> None:
    questions, results, texts = report_case()
    summary = compute_summary(questions, results, texts.get)
    report = write_report(tmp_path, summary, questions, results, title="dev run")

    assert report == tmp_path / "report.md"
    assert json.loads((tmp_path / "summary.json").read_text(encoding="utf-8")) == summary
    for chart in ("chart_by_type.png", "chart_latency.png"):
        assert (tmp_path / chart).read_bytes().startswith(b"\x89PNG")
    text = report.read_text(encoding="utf-8")
    assert text.startswith("# dev run\n")
    assert "](chart_by_type.png)" in text and "](chart_latency.png)" in text
    # keywords: ok hit, bad|id miss, broken errored -> 1/3 over 3 questions
    assert "| keyword_accuracy | 0.3333 | 3 |" in text
    assert "odd\\|type" in text  # `|` escaped in the per-type table header
    failures = text.split("## Failures", 1)[1]
    assert "### ok " not in failures
    assert "bad\\|id" in failures and "keyword miss" in failures and "retrieval miss@5" in failures
    assert "How long | when?" in failures and "Within 90 days" in failures
    assert "missed refusal" in failures and "RuntimeError: boom" in failures
    long_quote_line = next(line for line in failures.splitlines() if "`B.md`" in line)
    quote = long_quote_line.split("“", 1)[1].rstrip("”")
    assert len(quote) <= 200 and quote.endswith("…")


def test_summary_deltas_subtract_earlier_from_current() -> None:
    earlier = {"overall": {"n_questions": 4, "hit@5": 0.5, "keyword_accuracy": None},
               "by_type": {"numeric": {"hit@5": 0.25}, "gone": {"hit@5": 1.0}}}
    current = {"overall": {"n_questions": 5, "hit@5": 0.75, "keyword_accuracy": 0.6},
               "by_type": {"numeric": {"hit@5": 0.5}, "new": {"hit@5": 1.0}}}
    deltas = summary_deltas(current, earlier)
    assert deltas["overall"] == {"n_questions": 1, "hit@5": 0.25, "keyword_accuracy": None}
    assert deltas["by_type"] == {"numeric": {"hit@5": 0.25}, "new": {"hit@5": None}, "gone": {"hit@5": None}}


def test_write_report_compares_with_an_earlier_run(tmp_path: Path) -> None:
    questions, results, texts = report_case()
    earlier_dir, current_dir = tmp_path / "before", tmp_path / "after"
    write_report(earlier_dir, compute_summary(questions, results, texts.get), questions, results)

    fixed = [dict(r) for r in results]
    fixed[1].update(answer="Within 270 days [1].", retrieved=res("bad|id", retrieved=["A.md"])["retrieved"])
    summary = compute_summary(questions, fixed, texts.get)
    text = write_report(current_dir, summary, questions, fixed, compare_dir=earlier_dir).read_text(encoding="utf-8")

    # keyword accuracy 1/3 -> 2/3 overall; deltas come from the stored (rounded) summaries,
    # so 0.6667 - 0.3333 = +0.3334. For "numeric" 1/2 -> 2/2 (+0.5); "odd|type" stays 0/1 ("broken" errors).
    # hit@5 1/2 -> 2/2 overall (+0.5); "odd|type" has no retrieval gold (n/a).
    assert "## Change since the earlier run" in text
    assert "| keyword_accuracy | 0.3333 | 0.6667 | +0.3334 |" in text
    assert "| hit@5 | 0.5000 | 1.0000 | +0.5000 |" in text
    by_type_rows = text.split("Δ by question type:", 1)[1]
    assert "| keyword_accuracy | +0.5000 | +0.0000 |" in by_type_rows
    assert "| hit@5 | +0.5000 | n/a |" in by_type_rows

    with pytest.raises(FileNotFoundError, match="summary.json"):
        write_report(current_dir, summary, questions, fixed, compare_dir=tmp_path / "nowhere")


def test_evaluate_runs_everything_end_to_end(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "qs.jsonl",
        [json.dumps({"id": "q1", "question": "What?", "keywords": ["q1"], "type": "factoid"}),
         json.dumps({"id": "q2", "question": "Why?", "evidence": []})],
    )
    fake = FakeAsk()
    summary = evaluate(path, tmp_path / "out", fake, no_docs, progress=False)
    assert fake.calls == ["q1", "q2"]
    assert summary["overall"]["keyword_accuracy"] == 1.0
    assert summary["overall"]["refusal_recall"] == 0.0
    assert set(summary["by_type"]) == {"factoid", "untyped"}
    for name in ("results.jsonl", "summary.json", "report.md", "chart_by_type.png", "chart_latency.png"):
        assert (tmp_path / "out" / name).is_file()


def test_module_imports_matplotlib_only_when_reporting() -> None:
    code = "import sys, assistant.evaluation; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parents[2])


def test_a_verdict_on_an_answer_becomes_a_question_that_eval_reads(tmp_path):
    from assistant.answers import Answer, Citation
    from assistant.core import build_assistant
    from assistant.settings import Settings

    assistant = build_assistant(Settings(store=tmp_path / "store"))
    (tmp_path / "store").mkdir()
    quote = "The rate of duty shall be 125 percent."
    answer = Answer(question="What rate applies to Chinese goods?", answer=f"{quote} [1]",
                    citations=[Citation(n=1, source="eo.md", title="EO", chunk_id="c", quote=quote, start=0, end=len(quote))])
    history = [{"role": "user", "content": "Which order raised it?"}, {"role": "assistant", "content": "EO 14266 [1]"}]
    path = assistant.record_feedback(answer, history, liked=True)
    assistant.record_feedback(answer, [], liked=False)
    assistant.record_feedback(Answer(question="Who won the cup?", answer="The documents do not answer this.",
                                     refused=True), [], liked=True)
    liked, disliked, refusal = load_questions(path)
    assert liked.evidence == [{"doc": "eo.md", "quote": quote}] and liked.history == history
    assert liked.type == "feedback-liked" and liked.answer == answer.answer
    assert disliked.evidence is None and disliked.answer is None and disliked.type == "feedback-disliked"
    assert refusal.evidence == [], "a refusal the reader agreed with: a question the documents do not answer"
    assert len({liked.id, disliked.id, refusal.id}) == 3


def test_a_binary_or_empty_question_file_is_named_with_the_reason(tmp_path):
    binary = tmp_path / "questions.jsonl"
    binary.write_bytes(bytes(range(128, 256)) * 4)
    with pytest.raises(ValueError, match=r"questions\.jsonl: not a UTF-8 text file"):
        load_questions(binary)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n  \n")
    with pytest.raises(ValueError, match=r"empty\.jsonl: the file holds no questions"):
        load_questions(empty)


def test_citations_made_only_by_the_later_changes_note_do_not_count_against_precision():
    from assistant.evaluation import EvalQuestion, compute_summary

    question = EvalQuestion(id="q", question="?", keywords=["x"], evidence=[{"doc": "a.md", "quote": "x is one"}])
    later = {"relation": "revokes", "source": "b.md", "start": 5, "end": 9, "quote": "gone"}
    result = {"id": "q", "answer": "x is one [1]\n\nChanges: the order of [1] was later revoked by Executive Order 2 [2]: “gone”",
              "refused": False, "retrieved": [{"source": "a.md", "chunk_id": "c", "score": 1.0}], "latency_ms": 1.0,
              "citations": [{"n": 1, "source": "a.md", "quote": "x is one", "start": 0, "end": 8, "later_changes": [later]},
                            {"n": 2, "source": "b.md", "quote": "gone", "start": 5, "end": 9}]}
    texts = {"a.md": "x is one", "b.md": "xxxx gone"}.get
    assert compute_summary([question], [result], texts)["overall"]["citation_precision"] == 1.0
    result["answer"] = "x is one [1] and [2]" + result["answer"][len("x is one [1]"):]
    assert compute_summary([question], [result], texts)["overall"]["citation_precision"] == 0.5
