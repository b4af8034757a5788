"""Choose the documents for the overview question batches (what an order does, what it is for, why it was issued).

    python training/select_overview_documents.py READER_CORPUS OUT_DIR

Each batch takes documents of one split only, as training/data/documents.json assigns them, so the split by
document holds: t26-t28 train, v3 validation (half of them 2025 orders), x3 test. Fixed seed; writes
OUT_DIR/<batch>/docs/ (the documents under their sources) for the writers.
"""
from __future__ import annotations

import json
import random
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED = 20261207
BATCHES = {"t26": ("train", 45), "t27": ("train", 45), "t28": ("train", 45), "v3": ("validation", 50), "x3": ("test", 40)}


def main() -> None:
    corpus, out = Path(sys.argv[1]), Path(sys.argv[2])
    documents = json.loads((REPO / "training" / "data" / "documents.json").read_text())
    rng = random.Random(SEED)
    by_split: dict[str, list[str]] = {}
    for source, info in sorted(documents.items()):
        if source.endswith(".md") and (corpus / source).is_file():
            by_split.setdefault(info["split"], []).append(source)
    for split in by_split.values():
        rng.shuffle(split)
    for batch, (split, count) in BATCHES.items():
        pool = by_split[split]
        if batch == "v3":  # the demo corpus's 2025 orders are validation documents: half of this batch
            recent = [s for s in pool if "/2025/" in s][: count // 2]
            chosen = recent + [s for s in pool if "/2025/" not in s][: count - len(recent)]
        else:
            chosen = pool[:count]
        for source in chosen:
            pool.remove(source)
            target = out / batch / "docs" / source
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(corpus / source, target)
        print(f"{batch}: {len(chosen)} {split} documents")


if __name__ == "__main__":
    main()
