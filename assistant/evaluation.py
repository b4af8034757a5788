"""Batch evaluation: run the assistant over a JSONL question set, score it, write a report.

The pieces are usable on their own (`load_questions`, `run_eval`, `compute_summary`,
`write_report`) and chained by `evaluate`, which is what `policyqa eval` runs. The input and
output formats are the "Evaluation" contracts of `../shared/DESIGN.md`; results are the
`ask --json` objects plus `id` and `type`.

Metric definitions (every metric is computed only where its gold data exists, and its `n` is
kept in `summary["counts"]`):

- retrieval (questions with non-empty gold `evidence`): the ranked list is the distinct
  sources of `retrieved`, first occurrence kept. `hit@k` is 1 when a gold doc is within the
  first k; `mrr@10` is 1/rank of the first gold doc within the first 10, else 0.
- `keyword_accuracy` (questions with non-empty `keywords`): 1 when every keyword is in the
  answer text, compared lowercase with all whitespace removed. Refused answers count as is.
- `median_answer_words`: over answered (not refused, not errored) results, citation markers
  such as `[1]` removed; a word is a whitespace-separated token with a letter or digit.
- `citation_precision` (answerable questions with at least one citation): share of all their
  citations whose source is a gold doc (micro average over citations). A citation made only by the answer's
  "Changes" note (a later document that amended or revoked a quoted one) is not held against it: it
  cites history, not an answer to the question, and is left out.
- `evidence_recall` (answerable questions): share of all gold evidence items that some
  citation of the same doc overlaps (see `quotes_overlap`), micro average over evidence items.
- `citation_validity` (every citation of every result): share where
  `document_text(source)[start:end] == quote`; an unknown document counts as invalid.
- `refusal_recall` (unanswerable questions, `evidence == []`): share refused;
  `false_refusal_rate` (answerable questions): share refused.
- `supported_claims` (only when some result carries `sentences`): share of sentences whose
  `supported` is true.
- latency over non-errored results: `latency_p50_ms`, `latency_p95_ms` use linear
  interpolation between closest ranks (numpy's default percentile method); `latency_max_ms`.

A result with an `error` (or a question with no result) counts as a failure everywhere it
has gold data: it retrieved nothing, cited nothing, answered nothing and did not refuse.
Documents match when their paths are equal or one is a path suffix of the other (so gold
`a/b.md` matches a source `corpus/a/b.md` ingested from a parent folder).
"""

from __future__ import annotations

import json
import math
import os
import re
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

from tqdm import tqdm

from assistant.answers import CHANGES_NOTE

__all__ = [
    "EvalQuestion",
    "load_questions",
    "run_eval",
    "compute_summary",
    "write_report",
    "evaluate",
    "question_failures",
    "quotes_overlap",
    "keyword_in_answer",
    "same_document",
    "summary_deltas",
    "METRICS",
]

RESULTS_FILE = "results.jsonl"
SUMMARY_FILE = "summary.json"
REPORT_FILE = "report.md"
BY_TYPE_CHART = "chart_by_type.png"
LATENCY_CHART = "chart_latency.png"

METRICS: tuple[str, ...] = (
    "hit@1",
    "hit@5",
    "hit@10",
    "mrr@10",
    "keyword_accuracy",
    "median_answer_words",
    "citation_precision",
    "evidence_recall",
    "citation_validity",
    "refusal_recall",
    "false_refusal_rate",
    "supported_claims",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_max_ms",
)
"""Metric names in report order; `supported_claims` is present only when results carry sentences."""

_MARKER = re.compile(r"\[\d+(?:\s*[,;–-]\s*\d+)*\]")
_WORD = re.compile(r"[^\W_]", re.UNICODE)
_QUOTE_PREVIEW = 200


@dataclass(slots=True)
class EvalQuestion:
    """One line of an evaluation file; `None` gold fields mean "no gold data of that kind".

    `evidence == []` marks a question the corpus cannot answer; a missing `evidence` key
    means there is no retrieval gold at all.
    """

    id: str
    question: str
    history: list[dict] = field(default_factory=list)
    answer: str | None = None
    keywords: list[str] | None = None
    evidence: list[dict] | None = None
    type: str = "untyped"

    @property
    def gold_docs(self) -> list[str]:
        """The distinct gold sources, in evidence order."""
        return list(dict.fromkeys(item["doc"] for item in self.evidence or []))

    @property
    def answerable(self) -> bool | None:
        """True/False when the gold says whether the corpus answers it; None without evidence gold."""
        return None if self.evidence is None else bool(self.evidence)


# ---------------------------------------------------------------------------- loading


def load_questions(path: Path) -> list[EvalQuestion]:
    """Read a JSONL question file; raise `ValueError` naming the file and line on bad input."""
    path = Path(path)
    questions: list[EvalQuestion] = []
    seen: dict[str, int] = {}
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not a UTF-8 text file (byte {exc.start}); expected JSON lines of questions") from None
    if not any(line.strip() for line in lines):
        raise ValueError(f"{path}: the file holds no questions (one JSON object per line, with 'id' and 'question')")
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue

        def fail(problem: str) -> ValueError:
            return ValueError(f"{path}, line {line_no}: {problem}")

        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise fail(f"invalid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(data, dict):
            raise fail("expected a JSON object with 'id' and 'question'")
        question = _parse_question(data, fail)
        if question.id in seen:
            raise fail(f"duplicate id {question.id!r} (first on line {seen[question.id]})")
        seen[question.id] = line_no
        questions.append(question)
    return questions


def _parse_question(data: dict, fail: Callable[[str], ValueError]) -> EvalQuestion:
    raw_id = data.get("id")
    if isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)) or not str(raw_id).strip():
        raise fail("missing or empty 'id'")
    question = data.get("question")
    if not isinstance(question, str) or not question.strip():
        raise fail("missing or empty 'question'")

    history = data.get("history") or []
    if not isinstance(history, list):
        raise fail("'history' must be a list of {'role', 'content'} turns")
    for turn in history:
        if (
            not isinstance(turn, dict)
            or turn.get("role") not in ("user", "assistant")
            or not isinstance(turn.get("content"), str)
        ):
            raise fail("each 'history' turn needs 'role' ('user' or 'assistant') and string 'content'")

    answer = data.get("answer")
    if answer is not None and not isinstance(answer, str):
        raise fail("'answer' must be a string")

    keywords = data.get("keywords")
    if keywords is not None and (
        not isinstance(keywords, list) or not all(isinstance(k, str) and k.strip() for k in keywords)
    ):
        raise fail("'keywords' must be a list of non-empty strings")

    evidence = data.get("evidence")
    if evidence is not None:
        if not isinstance(evidence, list):
            raise fail("'evidence' must be a list of {'doc', 'quote'} items")
        for item in evidence:
            if not isinstance(item, dict) or not all(
                isinstance(item.get(key), str) and item[key].strip() for key in ("doc", "quote")
            ):
                raise fail("each 'evidence' item needs non-empty string 'doc' and 'quote'")

    qtype = data.get("type")
    if qtype is None or (isinstance(qtype, str) and not qtype.strip()):
        qtype = "untyped"
    elif not isinstance(qtype, str):
        raise fail("'type' must be a string")

    return EvalQuestion(
        id=str(raw_id).strip(),
        question=question,
        history=[dict(turn) for turn in history],
        answer=answer,
        keywords=list(keywords) if keywords is not None else None,
        evidence=[dict(item) for item in evidence] if evidence is not None else None,
        type=qtype.strip(),
    )


# ---------------------------------------------------------------------------- running


def run_eval(
    questions: Sequence[EvalQuestion],
    ask: Callable[[EvalQuestion], Mapping[str, Any]],
    out_dir: Path,
    *,
    resume: bool = True,
    progress: bool = True,
) -> list[dict]:
    """Ask every question and keep `out_dir/results.jsonl` current after each one.

    With `resume`, ids that already have a line without `error` are not asked again; errored
    ids are retried. An exception from `ask` becomes an error line and the run goes on. At the
    end the file holds one line per question, in input order; the same records are returned.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    results_path = out_dir / RESULTS_FILE
    wanted = {q.id for q in questions}

    done: dict[str, dict] = {}
    if resume:
        done = {
            rid: record
            for rid, record in _read_results(results_path).items()
            if rid in wanted and not _is_error(record)
        }
    _write_jsonl(results_path, [done[q.id] for q in questions if q.id in done])

    fresh: dict[str, dict] = {}
    todo = [q for q in questions if q.id not in done]
    with results_path.open("a", encoding="utf-8") as handle, tqdm(
        total=len(questions),
        initial=len(questions) - len(todo),
        desc="eval",
        unit="q",
        file=sys.stderr,
        disable=not progress,
    ) as bar:
        for question in todo:
            record = _ask_one(question, ask)
            fresh[question.id] = record
            handle.write(_dumps(record) + "\n")
            handle.flush()
            bar.update(1)

    results = [fresh.get(q.id) or done[q.id] for q in questions]
    _write_jsonl(results_path, results)
    return results


def _ask_one(question: EvalQuestion, ask: Callable[[EvalQuestion], Any]) -> dict:
    started = time.perf_counter()
    try:
        reply = ask(question)
        if hasattr(reply, "to_json") and not isinstance(reply, Mapping):
            reply = reply.to_json()
        if not isinstance(reply, Mapping):
            raise TypeError(f"ask returned {type(reply).__name__}, expected the ask --json dict")
    except Exception as exc:  # noqa: BLE001 - one failing question must not stop the batch
        return {
            "id": question.id,
            "type": question.type,
            "question": question.question,
            "error": f"{type(exc).__name__}: {exc}",
            "answer": "",
            "citations": [],
            "retrieved": [],
            "refused": False,
            "latency_ms": 0,
        }
    elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
    record = {"id": question.id, "type": question.type}
    record.update({k: v for k, v in reply.items() if k not in ("id", "type")})
    record.setdefault("latency_ms", elapsed_ms)
    return record


def _read_results(path: Path) -> dict[str, dict]:
    """The last record per id of an existing results file; unreadable lines (an interrupted write) are skipped."""
    records: dict[str, dict] = {}
    if not path.exists():
        return records
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict) and record.get("id") is not None:
                records[str(record["id"])] = record
    return records


def _write_jsonl(path: Path, records: Sequence[Mapping[str, Any]]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(_dumps(record) + "\n")
    os.replace(tmp, path)


def _dumps(record: Mapping[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, default=str)


def _is_error(result: Mapping[str, Any]) -> bool:
    return bool(result.get("error"))


# ---------------------------------------------------------------------------- matching rules


def _normalise_path(source: str) -> str:
    path = str(source).strip().replace("\\", "/")
    while path.startswith("./"):
        path = path[2:]
    return path.strip("/")


def same_document(source: str, gold_doc: str) -> bool:
    """Whether a result's `source` is the gold `doc`: equal paths, or one a path suffix of the other."""
    a, b = _normalise_path(source), _normalise_path(gold_doc)
    if not a or not b:
        return False
    return a == b or a.endswith("/" + b) or b.endswith("/" + a)


def _is_gold(source: Any, gold_docs: Sequence[str]) -> bool:
    return isinstance(source, str) and any(same_document(source, doc) for doc in gold_docs)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold()


def keyword_in_answer(keyword: str, answer: str) -> bool:
    """Whether `keyword` occurs in `answer`, ignoring case and all whitespace ("1.2 Trillion" ~ "1.2trillion")."""
    return _squash(keyword) in _squash(answer)


def _normalise_quote(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


def quotes_overlap(gold_quote: str, cited_quote: str) -> bool:
    """Whether a citation's quote covers a gold evidence quote.

    Both are lowercased and whitespace-collapsed; they overlap when one contains the other or
    they share a common substring of at least min(40 characters, half the gold quote's length).
    """
    gold, cited = _normalise_quote(gold_quote), _normalise_quote(cited_quote)
    if not gold or not cited:
        return False
    if gold in cited or cited in gold:
        return True
    matcher = SequenceMatcher(None, gold, cited, autojunk=False)
    longest = matcher.find_longest_match(0, len(gold), 0, len(cited)).size
    return longest >= min(40.0, len(gold) * 0.5)


def _ranked_sources(result: Mapping[str, Any]) -> list[str]:
    sources = (r.get("source") for r in result.get("retrieved") or [] if isinstance(r, Mapping))
    return list(dict.fromkeys(s for s in sources if isinstance(s, str)))


def _citations(result: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return [c for c in result.get("citations") or [] if isinstance(c, Mapping)]


def _answering_citations(result: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The citations of the answer itself: not those cited only by its "Changes" note (a later document's
    sentence that changed a quoted one, history rather than an answer to the question)."""
    citations = _citations(result)
    later = {(change.get("source"), change.get("start")) for c in citations for change in c.get("later_changes") or []}
    body = str(result.get("answer") or "").split(CHANGES_NOTE)[0]
    used = {int(n) for n in re.findall(r"\[(\d{1,3})\]", body)}
    return [c for c in citations if (c.get("source"), c.get("start")) not in later or c.get("n") in used]


def _gold_rank(question: EvalQuestion, result: Mapping[str, Any]) -> int | None:
    """1-based rank of the first gold doc among the distinct retrieved sources, or None."""
    gold = question.gold_docs
    for rank, source in enumerate(_ranked_sources(result), start=1):
        if _is_gold(source, gold):
            return rank
    return None


def _answer_words(answer: str) -> int:
    return sum(1 for token in _MARKER.sub(" ", answer).split() if _WORD.search(token))


def _percentile(values: Sequence[float], pct: float) -> float | None:
    """Linear interpolation between closest ranks, as numpy.percentile's default method."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * pct / 100.0
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# ---------------------------------------------------------------------------- scoring


def question_failures(question: EvalQuestion, result: Mapping[str, Any] | None) -> list[str]:
    """What went wrong for one question (empty when nothing did): the "Failures" of the report."""
    if result is None:
        return ["error: no result for this question"]
    if _is_error(result):
        return [f"error: {result['error']}"]
    failures: list[str] = []
    refused = bool(result.get("refused"))
    if question.evidence == [] and not refused:
        failures.append("missed refusal: the corpus does not answer this, but an answer was given")
    if question.evidence and refused:
        failures.append("wrong refusal: the question is answerable from the corpus")
    if question.keywords:
        answer = str(result.get("answer") or "")
        missing = [k for k in question.keywords if not keyword_in_answer(k, answer)]
        if missing:
            failures.append("keyword miss: " + ", ".join(f'"{k}"' for k in missing))
    if question.evidence:
        rank = _gold_rank(question, result)
        if rank is None or rank > 5:
            where = "not retrieved" if rank is None else f"first at rank {rank}"
            failures.append(f"retrieval miss@5: gold {', '.join(question.gold_docs)} {where}")
    return failures


def compute_summary(
    questions: Sequence[EvalQuestion],
    results: Sequence[Mapping[str, Any]],
    document_text: Callable[[str], str | None],
) -> dict:
    """Score results against the questions' gold data, overall and per question `type`.

    Returns `{"overall": {...}, "by_type": {type: {...}}, "counts": {"overall": {...},
    "by_type": {...}}}`: metric values (None where there is no data, rounded to 4 decimals)
    plus `n_questions`/`n_errors`, and in `counts` the number of questions behind each metric
    (`citation_validity` counts results with citations; `n_citations` and `n_gold_quotes`
    give the item totals of the micro averages). `document_text(source)` returns the ingested
    text of a document, or None when it is unknown.
    """
    by_id: dict[str, Mapping[str, Any]] = {}
    for result in results:
        if result.get("id") is None:
            raise ValueError("every result needs the 'id' of its question")
        by_id[str(result["id"])] = result

    texts: dict[str, str | None] = {}

    def text_of(source: str) -> str | None:
        if source not in texts:
            texts[source] = document_text(source)
        return texts[source]

    pairs = [(q, by_id.get(q.id) or _missing_result(q)) for q in questions]
    with_sentences = any(isinstance(r.get("sentences"), list) for _, r in pairs)

    overall, overall_counts = _group_metrics(pairs, text_of, with_sentences)
    by_type: dict[str, dict] = {}
    by_type_counts: dict[str, dict] = {}
    for qtype in dict.fromkeys(q.type for q in questions):
        group = [(q, r) for q, r in pairs if q.type == qtype]
        by_type[qtype], by_type_counts[qtype] = _group_metrics(group, text_of, with_sentences)
    return {
        "overall": overall,
        "by_type": by_type,
        "counts": {"overall": overall_counts, "by_type": by_type_counts},
    }


def _missing_result(question: EvalQuestion) -> dict:
    return {
        "id": question.id,
        "type": question.type,
        "question": question.question,
        "error": "MissingResult: no result for this question",
        "answer": "",
        "citations": [],
        "retrieved": [],
        "refused": False,
        "latency_ms": 0,
    }


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _ratio(hits: int, total: int) -> float | None:
    return hits / total if total else None


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 4)


def _group_metrics(
    pairs: Sequence[tuple[EvalQuestion, Mapping[str, Any]]],
    text_of: Callable[[str], str | None],
    with_sentences: bool,
) -> tuple[dict, dict]:
    hits: dict[int, list[float]] = {1: [], 5: [], 10: []}
    reciprocal_ranks: list[float] = []
    keyword_scores: list[float] = []
    answer_words: list[int] = []
    precise = cited_on_answerable = precision_questions = 0
    quotes_found = quotes_total = recall_questions = 0
    valid = n_citations = validity_questions = 0
    refused_unanswerable: list[float] = []
    refused_answerable: list[float] = []
    supported = n_sentences = sentence_questions = 0
    latencies: list[float] = []
    n_errors = 0

    for question, result in pairs:
        error = _is_error(result)
        n_errors += error
        refused = bool(result.get("refused")) and not error
        citations = _citations(result)

        if question.evidence:
            rank = _gold_rank(question, result)
            for k in hits:
                hits[k].append(1.0 if rank is not None and rank <= k else 0.0)
            reciprocal_ranks.append(1.0 / rank if rank is not None and rank <= 10 else 0.0)

            gold = question.gold_docs
            answering = _answering_citations(result)
            if answering:
                precision_questions += 1
                cited_on_answerable += len(answering)
                precise += sum(1 for c in answering if _is_gold(c.get("source"), gold))

            recall_questions += 1
            for item in question.evidence:
                quotes_total += 1
                quotes_found += any(
                    _is_gold(c.get("source"), [item["doc"]])
                    and quotes_overlap(item["quote"], str(c.get("quote") or ""))
                    for c in citations
                )
            refused_answerable.append(1.0 if refused else 0.0)
        elif question.evidence == []:
            refused_unanswerable.append(1.0 if refused else 0.0)

        if question.keywords:
            answer = str(result.get("answer") or "")
            keyword_scores.append(1.0 if all(keyword_in_answer(k, answer) for k in question.keywords) else 0.0)

        if citations:
            validity_questions += 1
        for citation in citations:
            n_citations += 1
            valid += _citation_valid(citation, text_of)

        if error:
            continue
        if not refused:
            answer_words.append(_answer_words(str(result.get("answer") or "")))
        sentences = result.get("sentences")
        if isinstance(sentences, list) and sentences:
            sentence_questions += 1
            for sentence in sentences:
                n_sentences += 1
                supported += bool(isinstance(sentence, Mapping) and sentence.get("supported") is True)
        latency = result.get("latency_ms")
        if isinstance(latency, (int, float)) and not isinstance(latency, bool):
            latencies.append(float(latency))

    values: dict[str, float | int | None] = {
        "n_questions": len(pairs),
        "n_errors": n_errors,
        "hit@1": _mean(hits[1]),
        "hit@5": _mean(hits[5]),
        "hit@10": _mean(hits[10]),
        "mrr@10": _mean(reciprocal_ranks),
        "keyword_accuracy": _mean(keyword_scores),
        "median_answer_words": statistics.median(answer_words) if answer_words else None,
        "citation_precision": _ratio(precise, cited_on_answerable),
        "evidence_recall": _ratio(quotes_found, quotes_total),
        "citation_validity": _ratio(valid, n_citations),
        "refusal_recall": _mean(refused_unanswerable),
        "false_refusal_rate": _mean(refused_answerable),
    }
    counts: dict[str, int] = {
        "hit@1": len(hits[1]),
        "hit@5": len(hits[5]),
        "hit@10": len(hits[10]),
        "mrr@10": len(reciprocal_ranks),
        "keyword_accuracy": len(keyword_scores),
        "median_answer_words": len(answer_words),
        "citation_precision": precision_questions,
        "evidence_recall": recall_questions,
        "citation_validity": validity_questions,
        "refusal_recall": len(refused_unanswerable),
        "false_refusal_rate": len(refused_answerable),
    }
    if with_sentences:
        values["supported_claims"] = _ratio(supported, n_sentences)
        counts["supported_claims"] = sentence_questions
    values["latency_p50_ms"] = _percentile(latencies, 50)
    values["latency_p95_ms"] = _percentile(latencies, 95)
    values["latency_max_ms"] = max(latencies) if latencies else None
    for name in ("latency_p50_ms", "latency_p95_ms", "latency_max_ms"):
        counts[name] = len(latencies)
    counts["n_citations"] = n_citations
    counts["n_gold_quotes"] = quotes_total

    rounded = {k: v if isinstance(v, int) and k.startswith("n_") else _round(v) for k, v in values.items()}
    return rounded, counts


def _citation_valid(citation: Mapping[str, Any], text_of: Callable[[str], str | None]) -> bool:
    source, start, end, quote = (citation.get(k) for k in ("source", "start", "end", "quote"))
    if not isinstance(source, str) or not isinstance(quote, str):
        return False
    if not all(isinstance(x, int) and not isinstance(x, bool) for x in (start, end)):
        return False
    text = text_of(source)
    return text is not None and 0 <= start <= end <= len(text) and text[start:end] == quote


def summary_deltas(current: Mapping[str, Any], earlier: Mapping[str, Any]) -> dict:
    """This run minus an earlier one, for every numeric metric, overall and per type.

    Returns `{"overall": {metric: delta}, "by_type": {type: {metric: delta}}}`; a delta is
    None when either run has no value for it (or the type is missing from one run).
    """

    def diff(now: Mapping[str, Any], before: Mapping[str, Any]) -> dict[str, float | None]:
        names = [k for k in dict.fromkeys([*now, *before]) if _is_number(now.get(k)) or _is_number(before.get(k))]
        return {
            name: _round(now[name] - before[name])
            if _is_number(now.get(name)) and _is_number(before.get(name))
            else None
            for name in names
        }

    now_types: Mapping[str, Any] = current.get("by_type") or {}
    before_types: Mapping[str, Any] = earlier.get("by_type") or {}
    return {
        "overall": diff(current.get("overall") or {}, earlier.get("overall") or {}),
        "by_type": {
            qtype: diff(now_types.get(qtype) or {}, before_types.get(qtype) or {})
            for qtype in dict.fromkeys([*now_types, *before_types])
        },
    }


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# ---------------------------------------------------------------------------- reporting


def write_report(
    out_dir: Path,
    summary: dict,
    questions: Sequence[EvalQuestion],
    results: Sequence[Mapping[str, Any]],
    *,
    compare_dir: Path | None = None,
    title: str = "policyqa evaluation",
) -> Path:
    """Write `summary.json`, `report.md` and its PNG charts into `out_dir`; return the report path.

    With `compare_dir` (an earlier run's output folder), the report adds the change of every
    metric since that run, overall and per type.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    earlier = _load_earlier_summary(compare_dir) if compare_dir is not None else None

    (out_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    latencies = [
        float(r["latency_ms"])
        for r in results
        if not _is_error(r) and _is_number(r.get("latency_ms"))
    ]
    _draw_charts(out_dir, summary, latencies)

    by_id = {str(r.get("id")): r for r in results}
    lines = [f"# {_inline(title)}", "", f"Date: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC", ""]
    overall = summary.get("overall", {})
    counts = summary.get("counts", {})
    lines += [
        f"{overall.get('n_questions', len(questions))} questions, {overall.get('n_errors', 0)} errors. "
        "Each metric is computed over the questions that have gold data for it (`n`); "
        "latency percentiles interpolate linearly between closest ranks (numpy's default).",
        "",
        "## Overall",
        "",
        *_overall_table(overall, counts.get("overall", {})),
        "",
        "## By question type",
        "",
        *_by_type_table(summary.get("by_type", {})),
        "",
        "## Charts",
        "",
        f"![Keyword accuracy and hit@5 by question type]({BY_TYPE_CHART})",
        "",
        f"![Latency histogram]({LATENCY_CHART})",
        "",
    ]
    if earlier is not None:
        lines += _comparison_section(summary, earlier, Path(compare_dir))  # type: ignore[arg-type]
    lines += _failures_section(questions, by_id)

    report = out_dir / REPORT_FILE
    report.write_text("\n".join(lines).rstrip() + "\n", encoding="utf-8")
    return report


def _load_earlier_summary(compare_dir: Path) -> dict:
    path = Path(compare_dir) / SUMMARY_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no {SUMMARY_FILE} in {compare_dir}: pass the --out folder of an earlier eval run")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path} is not valid JSON ({exc.msg}); re-run that evaluation") from None


def _fmt(name: str, value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, bool) or not _is_number(value):
        return _cell(str(value))
    if isinstance(value, int) and (name.startswith("n_") or name.endswith("_ms") or name.endswith("_words")):
        return str(value)
    if name.endswith("_ms") or name.endswith("_words"):
        return f"{value:.1f}"
    return f"{value:.4f}"


def _fmt_delta(name: str, value: Any) -> str:
    if not _is_number(value):
        return "n/a"
    if name.startswith("n_"):
        return f"{value:+d}" if isinstance(value, int) else f"{value:+g}"
    return f"{value:+.1f}" if name.endswith("_ms") or name.endswith("_words") else f"{value:+.4f}"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell: one line, `|` escaped."""
    return _inline(text).replace("|", "\\|")


def _inline(text: str) -> str:
    return re.sub(r"\s+", " ", str(text)).strip()


def _metric_names(*groups: Mapping[str, Any]) -> list[str]:
    present = {k for group in groups for k in group}
    known = [m for m in ("n_questions", "n_errors", *METRICS) if m in present]
    extra = [k for group in groups for k in group if k not in known]
    return known + list(dict.fromkeys(extra))


def _overall_table(overall: Mapping[str, Any], counts: Mapping[str, Any]) -> list[str]:
    rows = ["| metric | value | n |", "| --- | ---: | ---: |"]
    for name in _metric_names(overall):
        n = counts.get(name, "")
        rows.append(f"| {_cell(name)} | {_fmt(name, overall.get(name))} | {n} |")
    return rows


def _by_type_table(by_type: Mapping[str, Mapping[str, Any]]) -> list[str]:
    if not by_type:
        return ["No questions."]
    types = list(by_type)
    rows = [
        "| metric | " + " | ".join(_cell(t) for t in types) + " |",
        "| --- |" + " ---: |" * len(types),
    ]
    for name in _metric_names(*by_type.values()):
        rows.append(f"| {_cell(name)} | " + " | ".join(_fmt(name, by_type[t].get(name)) for t in types) + " |")
    return rows


def _comparison_section(summary: Mapping[str, Any], earlier: Mapping[str, Any], compare_dir: Path) -> list[str]:
    deltas = summary_deltas(summary, earlier)
    now, before = summary.get("overall", {}), earlier.get("overall", {})
    lines = [
        "## Change since the earlier run",
        "",
        f"Earlier run: `{_inline(str(compare_dir))}`. Δ = this run − earlier run.",
        "",
        "| metric | earlier | this run | Δ |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, delta in deltas["overall"].items():
        lines.append(
            f"| {_cell(name)} | {_fmt(name, before.get(name))} | {_fmt(name, now.get(name))} | {_fmt_delta(name, delta)} |"
        )
    types = list(deltas["by_type"])
    if types:
        names = _metric_names(*deltas["by_type"].values())
        lines += [
            "",
            "Δ by question type:",
            "",
            "| metric | " + " | ".join(_cell(t) for t in types) + " |",
            "| --- |" + " ---: |" * len(types),
        ]
        for name in names:
            cells = " | ".join(_fmt_delta(name, deltas["by_type"][t].get(name)) for t in types)
            lines.append(f"| {_cell(name)} | {cells} |")
    lines.append("")
    return lines


def _failures_section(questions: Sequence[EvalQuestion], by_id: Mapping[str, Mapping[str, Any]]) -> list[str]:
    failed = [(q, by_id.get(q.id), question_failures(q, by_id.get(q.id))) for q in questions]
    failed = [item for item in failed if item[2]]
    lines = ["## Failures", ""]
    if not failed:
        return lines + ["None: every question passed every check it has gold data for.", ""]
    lines += [
        f"{len(failed)} of {len(questions)} questions failed at least one check "
        "(keyword miss, wrong refusal, missed refusal, retrieval miss@5, or error).",
        "",
        "| id | type | failed |",
        "| --- | --- | --- |",
    ]
    for q, _, reasons in failed:
        lines.append(f"| {_cell(q.id)} | {_cell(q.type)} | {_cell('; '.join(r.split(':')[0] for r in reasons))} |")
    lines.append("")
    for q, result, reasons in failed:
        result = result or {}
        lines += [
            f"### {_inline(q.id)} ({_inline(q.type)})",
            "",
            f"- **Failed:** {_inline('; '.join(reasons))}",
            f"- **Question:** {_inline(q.question)}",
            f"- **Expected:** {_inline(q.answer) if q.answer is not None else 'n/a'}",
            f"- **Given:** {_inline(str(result.get('answer') or '')) or '(empty)'}",
            f"- **Refused:** {'yes' if result.get('refused') else 'no'}",
        ]
        citations = _citations(result)
        if citations:
            lines.append("- **Cited:**")
            for citation in citations:
                quote = _inline(str(citation.get("quote") or ""))
                if len(quote) > _QUOTE_PREVIEW:
                    quote = quote[: _QUOTE_PREVIEW - 1].rstrip() + "…"
                marker = f"[{citation.get('n')}] " if citation.get("n") is not None else ""
                lines.append(f"  - {marker}`{_inline(str(citation.get('source')))}`: “{quote}”")
        else:
            lines.append("- **Cited:** nothing")
        lines.append("")
    return lines


def _draw_charts(out_dir: Path, summary: Mapping[str, Any], latencies: Sequence[float]) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    groups = {"overall": summary.get("overall", {}), **summary.get("by_type", {})}
    labels = list(groups)
    metrics = ("keyword_accuracy", "hit@5")
    width = 0.38
    fig = Figure(figsize=(max(6.0, 1.3 * len(labels) + 2), 4.2), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for i, metric in enumerate(metrics):
        xs = [x + (i - 0.5) * width for x in range(len(labels))]
        values = [groups[label].get(metric) for label in labels]
        ax.bar(xs, [v or 0.0 for v in values], width, label=metric)
        for x, value in zip(xs, values):
            ax.text(x, (value or 0.0) + 0.02, "n/a" if value is None else f"{value:.2f}", ha="center", fontsize=7)
    ax.set_xticks(range(len(labels)), labels, rotation=20 if len(labels) > 5 else 0)
    ax.set_ylim(0, 1.3)
    ax.set_ylabel("share of questions")
    ax.set_title("Keyword accuracy and hit@5 by question type")
    ax.legend(loc="upper left", ncols=2, fontsize=8)
    fig.tight_layout()
    fig.savefig(out_dir / BY_TYPE_CHART)

    fig = Figure(figsize=(6.0, 4.0), dpi=110)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    if latencies:
        ax.hist(latencies, bins=min(30, max(5, len(latencies) // 2)), color="tab:blue", alpha=0.8)
        for pct, style in ((50, "--"), (95, ":")):
            value = _percentile(latencies, pct)
            ax.axvline(value, color="black", linestyle=style, label=f"p{pct} = {value:.0f} ms")
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no latency data", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel("latency (ms)")
    ax.set_ylabel("questions")
    ax.set_title("Answer latency")
    fig.tight_layout()
    fig.savefig(out_dir / LATENCY_CHART)


# ---------------------------------------------------------------------------- all together


def evaluate(
    questions_path: Path,
    out_dir: Path,
    ask: Callable[[EvalQuestion], Mapping[str, Any]],
    document_text: Callable[[str], str | None],
    *,
    resume: bool = True,
    progress: bool = True,
    compare_dir: Path | None = None,
) -> dict:
    """Load the questions, run them (resuming by default), score them, write the report; return the summary."""
    questions = load_questions(Path(questions_path))
    if compare_dir is not None:
        _load_earlier_summary(Path(compare_dir))
    results = run_eval(questions, ask, Path(out_dir), resume=resume, progress=progress)
    summary = compute_summary(questions, results, document_text)
    write_report(Path(out_dir), summary, questions, results, compare_dir=compare_dir)
    return summary
