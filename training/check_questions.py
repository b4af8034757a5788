"""Check a question-writing batch: every line is a well-formed question in the evaluation input format,
every evidence quote is verbatim in the document it names, every keyword is in a quote.

Usage:  python check_questions.py BATCH_DIR        (reads BATCH_DIR/questions.jsonl and BATCH_DIR/docs/)
        python check_questions.py FILE.jsonl --docs CORPUS_DIR
Prints one line per problem and a count by type; exits 1 when there is a problem.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

TYPES = {"factoid", "numeric", "amount", "date", "list", "official", "definition",
         "multi_part", "two_doc", "follow_up", "unanswerable"}
# the time-and-change questions of issue 18 (training/data/time/)
TYPES |= {"time_as_of", "time_which_changed", "time_in_force", "time_what_changed"}
TYPES |= {"overview"}  # what an order does, is for, or why it was issued (training/data/overview/BRIEF.md)
TYPES |= {"off_topic"}  # what no policy document answers (training/data/off_topic/BRIEF.md)


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text).lower()


def check(questions: Path, docs: Path) -> int:
    problems = 0
    kinds = Counter()
    seen_ids = set()
    cache: dict[str, str | None] = {}

    def doc_text(source: str) -> str | None:
        if source not in cache:
            path = docs / source
            cache[source] = path.read_text(errors="replace") if path.is_file() else None
        return cache[source]

    def bad(where: str, why: str) -> None:
        nonlocal problems
        problems += 1
        print(f"{where}: {why}")

    for n, line in enumerate(questions.read_text().splitlines(), 1):
        if not line.strip():
            continue
        where = f"line {n}"
        try:
            q = json.loads(line)
        except json.JSONDecodeError as e:
            bad(where, f"not JSON ({e})")
            continue
        where = f"line {n} ({q.get('id')})"
        for field in ("id", "question", "answer", "type", "keywords", "evidence"):
            if field not in q:
                bad(where, f"missing field {field!r}")
        if q.get("id") in seen_ids:
            bad(where, "duplicate id")
        seen_ids.add(q.get("id"))
        kind = q.get("type")
        kinds[kind] += 1
        if kind not in TYPES:
            bad(where, f"type {kind!r} is not one of {sorted(TYPES)}")
        evidence = q.get("evidence") or []
        keywords = q.get("keywords") or []
        if kind in ("unanswerable", "off_topic"):  # no document answers either
            if evidence or keywords:
                bad(where, f"an {kind} question has empty evidence and keywords")
            about = q.get("about")
            if about is not None and doc_text(about) is None:
                bad(where, f"'about' names {about!r}, which is not in docs/")
            continue
        if not evidence:
            bad(where, "an answerable question needs evidence")
        if not keywords:
            bad(where, "an answerable question needs keywords")
        quotes = []
        for item in evidence:
            text = doc_text(item.get("doc", ""))
            quote = item.get("quote", "")
            if text is None:
                bad(where, f"evidence doc {item.get('doc')!r} is not in docs/")
            elif "\n" in quote:
                bad(where, "a quote must be on one line")
            elif quote not in text:
                bad(where, f"quote is not verbatim in {item['doc']}: {quote[:80]!r}")
            elif len(quote.split()) < 4:
                bad(where, "a quote needs at least 4 words")
            quotes.append(squash(quote))
        for keyword in keywords:
            if not any(squash(keyword) in quote for quote in quotes):
                bad(where, f"keyword {keyword!r} is in no evidence quote")
        if kind == "two_doc" and len({e.get("doc") for e in evidence}) < 2:
            bad(where, "a two_doc question quotes two different documents")
        if kind == "follow_up":
            history = q.get("history") or []
            if len(history) < 2 or any(t.get("role") not in ("user", "assistant") for t in history):
                bad(where, "a follow_up needs history: [{role: user, content}, {role: assistant, content}, ...]")
    total = sum(kinds.values())
    print(f"{total} questions, {problems} problems; by type: " + ", ".join(f"{k}={v}" for k, v in sorted(kinds.items(), key=str)))
    return 1 if problems else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", type=Path)
    parser.add_argument("--docs", type=Path)
    args = parser.parse_args()
    if args.path.is_dir():
        sys.exit(check(args.path / "questions.jsonl", args.docs or args.path / "docs"))
    sys.exit(check(args.path, args.docs))


if __name__ == "__main__":
    main()
