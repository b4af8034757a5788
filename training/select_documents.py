"""Choose the documents that question writers read, and fix which split each document belongs to.

Documents, not questions, are split: every document is in one split only. The documents that the
existing dev and held-out sets (benchmarks/, ../shared/eval/) quote are validation documents. Orders of
Jimmy Carter and Richard Nixon are in no split: they are kept for an outside check.

Usage:  python training/select_documents.py CORPUS_DIR NEWS_ARTICLE OUT_DIR
        python training/select_documents.py CORPUS_DIR NEWS_ARTICLE OUT_DIR --more-train t5 t6 ...
        python training/select_documents.py CORPUS_DIR NEWS_ARTICLE OUT_DIR --more-train t18 ... --within READER_CORPUS
Writes OUT_DIR/<batch>/docs/<source> (copies for the writers) and training/data/documents.json
(source -> split and batch). Fixed seed: the same corpus gives the same choice. `--more-train` adds train batches
of documents no split holds yet, leaving every earlier assignment as it is; `--within` draws them only from the
orders already in the reader's corpus (its distractors), so the measuring store stays the same.
"""
from __future__ import annotations

import json
import random
import re
import shutil
import sys
from collections import defaultdict
from pathlib import Path

SEED = 20261206
HELD_OUT_PRESIDENTS = ("jimmy-carter", "richard-nixon")
BATCHES = {"train": ["t1", "t2", "t3", "t4"], "validation": ["v1", "v2"], "test": ["x1", "x2"]}
OLDER_PER_BATCH = 24
RULES_PER_BATCH = 0  # the 2025 rules in the corpus are stubs that link to the Federal Register
PAIRS_PER_BATCH = 3
MIN_CHARS, MAX_CHARS = 1800, 30000
REPO = Path(__file__).resolve().parents[1]
EO_NUMBER = re.compile(r"Executive Order (?:No\. )?(\d{4,5})")
TRUMP_2025 = "Presidential_Executive_Orders/donald-trump/2025/"


def validation_sources() -> set[str]:
    """Sources (full-corpus form) that the existing dev and held-out question sets quote."""
    files = list((REPO / "benchmarks").glob("*_questions.jsonl")) + list((REPO.parent / "shared/eval").glob("*.jsonl"))
    sources = set()
    for path in files:
        for line in path.read_text().splitlines():
            if line.strip():
                for evidence in json.loads(line).get("evidence") or []:
                    doc = evidence["doc"]
                    sources.add(TRUMP_2025 + doc[len("eo2025/"):] if doc.startswith("eo2025/") else doc)
    return sources


def own_number(source: str) -> str | None:
    match = re.search(r"executive-order-(\d{4,5})", source)
    return match.group(1) if match else None


def more_train(corpus: Path, out: Path, batches: list[str], within: Path | None = None) -> None:
    """Train batches of orders that no split holds yet: a wider train set, the other splits untouched."""
    data = REPO / "training" / "data" / "documents.json"
    assignment = json.loads(data.read_text())
    rng = random.Random(f"{SEED}-{'-'.join(batches)}")
    pool = defaultdict(list)
    for path in sorted((corpus / "Presidential_Executive_Orders").rglob("*.md")):
        source = str(path.relative_to(corpus))
        if source in assignment or any(h in source for h in HELD_OUT_PRESIDENTS):
            continue
        if within is not None and not (within / source).is_file():
            continue
        if MIN_CHARS <= path.stat().st_size <= MAX_CHARS:
            pool[source.split("/")[1]].append(source)
    for sources in pool.values():
        rng.shuffle(sources)
    presidents = sorted(pool)
    for batch in batches:
        for i in range(OLDER_PER_BATCH + 2 * PAIRS_PER_BATCH):
            sources = pool[presidents[rng.randrange(len(presidents))]]
            if sources:
                source = sources.pop()
                assignment[source] = {"split": "train", "batch": batch, "role": "older"}
                target = out / batch / "docs" / source
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(corpus / source, target)
        (out / batch / "pairs.txt").write_text("")
    data.write_text(json.dumps(dict(sorted(assignment.items())), indent=1) + "\n")


def main(corpus: Path, news: Path, out: Path) -> None:
    rng = random.Random(SEED)
    texts = {str(p.relative_to(corpus)): p.read_text(errors="replace") for p in sorted(corpus.rglob("*.md"))}
    usable = {s for s, t in texts.items() if not any(h in s for h in HELD_OUT_PRESIDENTS)}
    fixed_validation = validation_sources()
    sized = {s for s in usable if MIN_CHARS <= len(texts[s]) <= MAX_CHARS}

    by_number = {own_number(s): s for s in usable if own_number(s)}
    pairs = []
    for source in sorted(sized):
        if source.startswith(TRUMP_2025) or source in fixed_validation:
            continue
        targets = {by_number.get(n) for n in EO_NUMBER.findall(texts[source])} - {None, source}
        targets = {t for t in targets if t in sized and not t.startswith(TRUMP_2025) and t not in fixed_validation}
        if targets:
            pairs.append((source, sorted(targets)[0]))
    rng.shuffle(pairs)

    assignment: dict[str, dict] = {s: {"split": "validation", "batch": "existing-sets"} for s in fixed_validation}
    taken = set(fixed_validation)

    def take(source: str, split: str, batch: str, role: str) -> bool:
        if source in taken:
            return False
        taken.add(source)
        assignment[source] = {"split": split, "batch": batch, "role": role}
        return True

    all_batches = [(split, b) for split, names in BATCHES.items() for b in names]
    for split, batch in all_batches:
        placed = 0
        while placed < PAIRS_PER_BATCH and pairs:
            a, b = pairs.pop()
            if a not in taken and b not in taken:
                take(a, split, batch, "pair")
                take(b, split, batch, "pair")
                placed += 1

    unused_2025 = sorted(s for s in sized if s.startswith(TRUMP_2025) and s not in taken)
    test_batches = BATCHES["test"]
    for i, source in enumerate(unused_2025):
        take(source, "test", test_batches[i % len(test_batches)], "2025")

    older = defaultdict(list)
    for source in sorted(sized - taken):
        parts = source.split("/")
        if parts[0] == "Presidential_Executive_Orders":
            older[parts[1]].append(source)
    for pool in older.values():
        rng.shuffle(pool)
    rules = sorted(s for s in sized - taken if s.startswith("rules_and_regulations/"))
    rng.shuffle(rules)
    presidents = sorted(older)
    for split, batch in all_batches:
        for i in range(OLDER_PER_BATCH):
            pool = older[presidents[(i + rng.randrange(len(presidents))) % len(presidents)]]
            while pool and not take(pool.pop(), split, batch, "older"):
                pass
        for _ in range(RULES_PER_BATCH):
            take(rules.pop(), split, batch, "rule")

    news_source = news.name
    assignment[news_source] = {"split": "train", "batch": "t1", "role": "news"}
    texts[news_source] = news.read_text()

    for source, info in assignment.items():
        if info["batch"] == "existing-sets":
            continue
        target = out / info["batch"] / "docs" / source
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus / source if source != news_source else news, target)
    for split, batch in all_batches:
        pair_list = [s for s, i in assignment.items() if i["batch"] == batch and i.get("role") == "pair"]
        (out / batch / "pairs.txt").write_text("\n".join(pair_list) + "\n")

    data = REPO / "training" / "data"
    data.mkdir(parents=True, exist_ok=True)
    (data / "documents.json").write_text(json.dumps(dict(sorted(assignment.items())), indent=1) + "\n")
    counts = defaultdict(int)
    for info in assignment.values():
        counts[(info["split"], info["batch"])] += 1
    for key, n in sorted(counts.items()):
        print(*key, n)


if __name__ == "__main__":
    if len(sys.argv) > 5 and sys.argv[4] == "--more-train":
        names, within = sys.argv[5:], None
        if "--within" in names:
            at = names.index("--within")
            names, within = names[:at] + names[at + 2:], Path(names[at + 1])
        more_train(Path(sys.argv[1]), Path(sys.argv[3]), names, within)
    else:
        main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
