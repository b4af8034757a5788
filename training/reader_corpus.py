"""Lay out the corpus the reader is trained and measured on: every document of the question sets plus distractors.

Usage:  python training/reader_corpus.py CORPUS_DIR NEWS_ARTICLE OUT_DIR [--distractors N]
Copies into OUT_DIR, keeping the sources the question sets use. The distractors are a fixed random
sample (seeded) of the other orders of every era, so retrieval must still pick the right order among look-alikes;
the whole 6,763-document corpus is the larger benchmark (benchmarks/run_benchmark.py).
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
from pathlib import Path

SEED = 20261206
HELD_OUT = ("jimmy-carter", "richard-nixon")
TRUMP_2025 = "Presidential_Executive_Orders/donald-trump/2025/"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("news", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--distractors", type=int, default=700)
    args = parser.parse_args()
    documents = json.loads((Path(__file__).resolve().parent / "data" / "documents.json").read_text())
    every = sorted(str(p.relative_to(args.corpus)) for p in (args.corpus / "Presidential_Executive_Orders").rglob("*.md"))
    wanted = {s for s in documents if s != args.news.name} | {s for s in every if s.startswith(TRUMP_2025)}
    # drawn from every order, not from those the sets leave, so adding a question batch keeps the same distractors
    others = [s for s in every if not any(h in s for h in HELD_OUT)]
    wanted |= set(random.Random(SEED).sample(others, args.distractors))
    for source in sorted(wanted):
        target = args.out / source
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            shutil.copyfile(args.corpus / source, target)
    news = args.out / args.news.name
    if not news.exists():
        shutil.copyfile(args.news, news)
    print(f"{len(wanted) + 1} documents in {args.out}")


if __name__ == "__main__":
    main()
