"""Figures of a `policyqa eval` run by era (2025 orders, older orders, unanswerable) and by type, as issue tables need.

    python training/report_split.py QUESTIONS.jsonl RUN_DIR --store STORE

RUN_DIR is the --out folder of `policyqa eval QUESTIONS.jsonl --out RUN_DIR --store STORE`; the metrics are
`policyqa eval`'s own (assistant/evaluation.py), computed on each group of questions.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from assistant.evaluation import compute_summary, load_questions  # noqa: E402

METRICS = ("keyword_accuracy", "evidence_recall", "citation_validity", "median_answer_words", "refusal_recall",
           "false_refusal_rate", "hit@5", "mrr@10")


def era(question) -> str:
    if not question.evidence:
        return "unanswerable"
    return "2025 orders" if any("/donald-trump/2025/" in e["doc"] or e["doc"].startswith("eo2025/")
                                for e in question.evidence) else "older orders"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("questions", type=Path)
    parser.add_argument("run", type=Path)
    parser.add_argument("--store", type=Path, required=True)
    args = parser.parse_args()
    from assistant.core import build_assistant
    from assistant.settings import Settings

    assistant = build_assistant(Settings(store=args.store))
    questions = load_questions(args.questions)
    results = [json.loads(line) for line in (args.run / "results.jsonl").read_text().splitlines() if line.strip()]
    groups = {"all": questions, "2025 orders + unanswerable": [q for q in questions if era(q) != "older orders"],
              "older orders + unanswerable": [q for q in questions if era(q) != "2025 orders"]}
    for kind in sorted({q.type for q in questions}):
        groups[f"type {kind}"] = [q for q in questions if q.type == kind]
    print("| group | n | " + " | ".join(METRICS) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in METRICS) + " |")
    for name, group in groups.items():
        overall = compute_summary(group, results, assistant.document_text)["overall"]
        cells = ["" if overall.get(m) is None else f"{overall[m]:.3f}" if isinstance(overall[m], float) else str(overall[m])
                 for m in METRICS]
        print(f"| {name} | {len(group)} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
