"""Choose the documents for issue 18's measurements: relation extraction and time-and-change questions.

Two folders for writers who never see the code:
- `relations/r1`, `relations/r2`: about 50 documents each (12 orders of 2025 from the demo corpus, the rest from
  every other president of the full corpus; half of the older ones use a change word such as "amend" or "revoke",
  half are drawn at random). Writers list every relation each document states; r1 is the tuning sample, r2 the
  test sample (scored once, at the end).
- `relations/r3`, `relations/r4`: 40 older orders each that all state a change ("is hereby revoked", "is amended",
  "supersedes", ...), added when r1 and r2 held too few relations; r3 joins the tuning sample, r4 the test sample.
- `time_corpus`: the demo corpus plus pairs of older orders where one names the other beside a change word, so that
  questions about what changed what, and when, can be asked of documents of every era.

- `--time-train READER_CORPUS OUT`: pairs of older orders of the reader corpus's train documents (none in a
  validation or test split, in the time corpus or in a relation sample) where one names the other beside a change
  word, with every document of the corpus that names either so, in four writers' folders `time_train/t1..t4`: the
  time questions' train part (the validation and test parts are asked of the time corpus).

- `--more r5 r6 ...`: further samples of 50 older orders each (half state a change, as r3/r4; half drawn at
  random), none of them in an earlier sample's list or the time questions: a fresh test sample once the earlier
  test sample has been run (fourteenth session: r2 and r4 became tuning data, r5 and r6 the test sample).

Orders of Jimmy Carter and Richard Nixon are left out (kept for an outside check). Fixed seed.

Usage:  python training/select_relation_documents.py FULL_CORPUS_DIR DEMO_CORPUS_DIR OUT_DIR
        python training/select_relation_documents.py --more r5 r6 FULL_CORPUS_DIR OUT_DIR
        python training/select_relation_documents.py --time-train READER_CORPUS_DIR OUT_DIR
"""
from __future__ import annotations

import json
import random
import re
import shutil
import sys
from collections import defaultdict
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
SEED = 20261206_18
HELD_OUT_PRESIDENTS = ("jimmy-carter", "richard-nixon")
DEMO_PER_BATCH = 12
OLDER_PER_BATCH = 38
TIME_PAIRS = 30
STRONG_PER_BATCH = 40  # r3, r4: older orders that all state a change, for a larger sample of relations
STRONG_CHANGE = re.compile(r"\b(?:is|are)\s+(?:hereby\s+)?(?:further\s+)?(?:revoked|amended|superseded|suspended|rescinded|extended|"
                           r"continued|modified)\b|\bsupersedes\b", re.I)
MAX_CHARS = 40000
CHANGE_WORD = re.compile(r"\b(amend|revok|rescind|supersed|suspend|extend|modif|continu|implement|terminat)", re.I)
NAMED_ORDER = re.compile(r"Executive Order (?:No\. )?(\d{4,5})")


def own_number(source: str) -> str | None:
    match = re.search(r"executive-order-(\d{4,5})", source)
    return match.group(1) if match else None


def copy(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)


def older_orders(full: Path) -> tuple[dict[str, list[Path]], dict[str, Path]]:
    """The full corpus's orders before 2025 that a writer can read whole, by president, and by their own number."""
    by_president: dict[str, list[Path]] = defaultdict(list)
    by_number: dict[str, Path] = {}
    for path in sorted((full / "Presidential_Executive_Orders").rglob("*.md")):
        source = str(path.relative_to(full))
        president = source.split("/")[1]
        if president in HELD_OUT_PRESIDENTS or "/2025/" in source or path.stat().st_size > MAX_CHARS:
            continue
        by_president[president].append(path)
        if number := own_number(source):
            by_number.setdefault(number, path)
    return by_president, by_number


def taken_documents() -> set[str]:
    """Every document a relation list or a time question already holds."""
    taken: set[str] = set()
    for path in sorted((DATA / "relations").glob("r*.jsonl")):
        taken.update(json.loads(line)["source"] for line in path.read_text().splitlines() if line.strip())
    for path in sorted((DATA / "time").glob("*.jsonl")):
        for line in path.read_text().splitlines():
            if line.strip():
                taken.update(e["doc"] for e in json.loads(line).get("evidence") or [])
    return taken


def more(full: Path, out: Path, batches: list[str]) -> None:
    """Further samples of older orders for relation lists, clear of every document an earlier list or the time
    questions hold."""
    taken = taken_documents()
    rng = random.Random(f"{SEED}-{'-'.join(batches)}")
    by_president, _ = older_orders(full)
    presidents = sorted(by_president)
    for batch in batches:
        picked = 0
        while picked < DEMO_PER_BATCH + OLDER_PER_BATCH:
            path = rng.choice(by_president[presidents[rng.randrange(len(presidents))]])
            source = str(path.relative_to(full))
            if source in taken or (picked % 2 == 0 and not STRONG_CHANGE.search(path.read_text(errors="replace"))):
                continue
            taken.add(source)
            picked += 1
            copy(path, out / "relations" / batch / source)
        print(f"{batch}: {picked} documents")


def time_train(corpus: Path, out: Path, writers: int = 4) -> None:
    """Chains of train documents for the time questions' train part: (later, earlier) pairs where the later order
    names the earlier beside a change word, each pair's folder holding every corpus document that names either so
    (a writer must see all that changes them to say what is in force)."""
    splits = json.loads((DATA / "documents.json").read_text())
    taken = taken_documents()
    sources = sorted(str(p.relative_to(corpus)) for p in (corpus / "Presidential_Executive_Orders").rglob("*.md"))
    by_number = {n: s for s in reversed(sources) if (n := own_number(s))}
    names: dict[str, set[str]] = defaultdict(set)  # source -> the corpus orders it names beside a change word
    for source in sources:
        for line in (corpus / source).read_text(errors="replace").splitlines():
            if CHANGE_WORD.search(line):
                names[source].update(by_number[n] for n in NAMED_ORDER.findall(line)
                                     if n in by_number and by_number[n] != source)
    named_by: dict[str, set[str]] = defaultdict(set)
    for source, targets in names.items():
        for target in targets:
            named_by[target].add(source)

    def usable(source: str) -> bool:
        return (splits.get(source, {}).get("split", "train") == "train" and source not in taken
                and "/2025/" not in source and source.split("/")[1] not in HELD_OUT_PRESIDENTS)

    pairs = []
    for later in sources:
        for earlier in sorted(names[later]):
            folder = {later, earlier} | named_by[later] | named_by[earlier]
            if all(usable(s) for s in folder):
                pairs.append((later, earlier, folder))
    random.Random(f"{SEED}-time-train").shuffle(pairs)
    for w in range(writers):
        batch = out / "time_train" / f"t{w + 1}"
        mine = pairs[w::writers]
        batch.mkdir(parents=True, exist_ok=True)
        for _, _, folder in mine:
            for source in folder:
                copy(corpus / source, batch / "docs" / source)
        (batch / "pairs.txt").write_text("".join(f"{l}  acts on  {e}\n" for l, e, _ in mine))
        print(f"t{w + 1}: {len(mine)} pairs, {len(list((batch / 'docs').rglob('*.md')))} documents")


def main(full: Path, demo: Path, out: Path) -> None:
    rng = random.Random(SEED)
    by_president, by_number = older_orders(full)
    demo_docs = sorted((demo / "eo2025").rglob("*.md"))
    rng.shuffle(demo_docs)
    presidents = sorted(by_president)
    used: set[Path] = set()
    for b, batch in enumerate(("r1", "r2")):
        for path in demo_docs[b * DEMO_PER_BATCH:(b + 1) * DEMO_PER_BATCH]:
            copy(path, out / "relations" / batch / path.relative_to(demo))
        for i in range(OLDER_PER_BATCH):
            want_change = i % 2 == 0
            while True:
                path = rng.choice(by_president[presidents[rng.randrange(len(presidents))]])
                if path in used:
                    continue
                if want_change and not CHANGE_WORD.search(path.read_text(errors="replace")):
                    continue
                break
            used.add(path)
            copy(path, out / "relations" / batch / path.relative_to(full))
    pairs: list[tuple[Path, Path]] = []
    candidates = [p for paths in by_president.values() for p in paths if p not in used]
    rng.shuffle(candidates)
    for path in candidates:
        if len(pairs) >= TIME_PAIRS:
            break
        text = path.read_text(errors="replace")
        for line in text.splitlines():
            if not CHANGE_WORD.search(line):
                continue
            targets = [by_number.get(n) for n in NAMED_ORDER.findall(line) if n != own_number(path.name)]
            targets = [t for t in targets if t is not None and t not in used and t != path]
            if targets:
                pairs.append((path, targets[0]))
                used.update((path, targets[0]))
                break
    for batch in ("r3", "r4"):
        picked = 0
        while picked < STRONG_PER_BATCH:
            path = rng.choice(by_president[presidents[rng.randrange(len(presidents))]])
            if path in used or not STRONG_CHANGE.search(path.read_text(errors="replace")):
                continue
            used.add(path)
            picked += 1
            copy(path, out / "relations" / batch / path.relative_to(full))
    shutil.copytree(demo, out / "time_corpus", dirs_exist_ok=True)
    for later, earlier in pairs:
        for path in (later, earlier):
            copy(path, out / "time_corpus" / path.relative_to(full))
    (out / "time_pairs.txt").write_text(
        "".join(f"{l.relative_to(full)}  acts on  {e.relative_to(full)}\n" for l, e in pairs))
    print(f"relations: r1, r2 with {DEMO_PER_BATCH + OLDER_PER_BATCH} documents each; time corpus: "
          f"{len(demo_docs) + 1} demo documents + {len(pairs)} older pairs")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--time-train":
        time_train(Path(sys.argv[2]), Path(sys.argv[3]))
    elif len(sys.argv) >= 5 and sys.argv[1] == "--more":
        more(Path(sys.argv[-2]), Path(sys.argv[-1]), sys.argv[2:-2])
    elif len(sys.argv) == 4:
        main(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        sys.exit(__doc__)
