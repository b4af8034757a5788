"""Gather the writers' batches into one question file per split, checking that documents do not cross splits.

Usage:  python training/build_splits.py BATCHES_DIR [OUT_DIR]
Reads BATCHES_DIR/<batch>/questions.jsonl (and docs/) of the reader's batches (t1-t25, v1-v2, x1-x2), checks each
batch with check_questions.py, and writes training/data/{train,validation,test}.jsonl plus the counts in
training/data/counts.json (or into OUT_DIR: the overview batches t26-t28, v3, x3 went to training/data/overview/,
beside the earlier sets, so their figures stay comparable). A question whose evidence (or near-miss document) lies
in another split's documents is dropped and reported.
"""
from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

from check_questions import check

DATA = Path(__file__).resolve().parent / "data"
HELD_OUT = ("jimmy-carter", "richard-nixon")


def batch_split(batch_dir: Path, documents: dict) -> str:
    """The split a batch writes for: the one its documents were drawn for, or, for a batch written later over
    documents of earlier batches (`t17`: two-document questions over train orders), the one those documents hold."""
    drawn = {info["split"] for info in documents.values() if info["batch"] == batch_dir.name}
    if not drawn:
        docs = batch_dir / "docs"
        drawn = {documents[str(path.relative_to(docs))]["split"] for path in docs.rglob("*") if path.is_file()}
    if len(drawn) != 1:
        raise SystemExit(f"{batch_dir.name}: its documents belong to {sorted(drawn) or 'no split'}, not to one split")
    return drawn.pop()


def main(batches: Path, out_dir: Path = DATA) -> None:
    documents = json.loads((DATA / "documents.json").read_text())
    out: dict[str, list[dict]] = defaultdict(list)
    dropped = 0
    for batch_dir in sorted(p for p in batches.iterdir() if (p / "questions.jsonl").is_file()):
        batch = batch_dir.name
        print(f"== {batch}")
        if check(batch_dir / "questions.jsonl", batch_dir / "docs"):
            print(f"{batch}: the checker found problems; those lines are still checked one by one below")
        split = batch_split(batch_dir, documents)
        for line in (batch_dir / "questions.jsonl").read_text().splitlines():
            if not line.strip():
                continue
            question = json.loads(line)
            docs = [e["doc"] for e in question.get("evidence") or []] + ([question["about"]] if question.get("about") else [])
            wrong = [d for d in docs if documents.get(d, {}).get("split") != split or any(h in d for h in HELD_OUT)]
            missing = [e for e in question.get("evidence") or []
                       if e["quote"] not in (batch_dir / "docs" / e["doc"]).read_text(errors="replace")]
            if wrong or missing:
                dropped += 1
                print(f"dropped {question['id']}: {'documents outside the split ' + str(wrong) if wrong else 'quote not verbatim'}")
                continue
            question["split"] = split
            out[split].append(question)
    counts = {}
    for split, questions in sorted(out.items()):
        (out_dir / f"{split}.jsonl").write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions))
        eras = Counter("2025" if any("/donald-trump/2025/" in e["doc"] for e in q["evidence"]) else
                       ("none" if not q["evidence"] else "older") for q in questions)
        counts[split] = {"questions": len(questions), "by_type": dict(sorted(Counter(q["type"] for q in questions).items())),
                         "by_era": dict(sorted(eras.items())),
                         "near_misses": sum(1 for q in questions if q["type"] == "unanswerable" and q.get("about")),
                         "documents": len({e["doc"] for q in questions for e in q["evidence"]})}
    (out_dir / "counts.json").write_text(json.dumps(counts, indent=1) + "\n")
    print(json.dumps(counts, indent=1))
    print(f"dropped {dropped}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]) if len(sys.argv) > 2 else DATA)
