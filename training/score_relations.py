"""Score the relation extractor (ingest/relations.py) against hand-checked relation lists.

Each list was written by a person who read the documents and never saw the extractor (training/data/relations/
DATASHEET.md). A relation is right when its document, kind of change and target (number, or date when the target
is named by date only) match a listed one; "target only" ignores the kind of change.

Usage:  python training/score_relations.py training/data/relations/r1.jsonl [...] --docs DIR [--show]
The documents are read from DIR/<source>; `--show` prints every miss and every extra.
"""
from __future__ import annotations

import argparse
import json
import re
from collections import Counter
from pathlib import Path

from ingest.loaders import load_file
from ingest.dates import parse_date
from ingest.relations import extract_relations

_DATE_IN_LABEL = re.compile(r"(?:January|February|March|April|May|June|July|August|September|October|November|December)\s+\d{1,2},\s+\d{4}")


def gold_key(row: dict) -> tuple:
    number = str(row["target_number"]) if row.get("target_number") else None
    if number is None:
        date = _DATE_IN_LABEL.search(row.get("target", ""))
        return row["source"], row["relation"], None, parse_date(date.group(0)) if date else row.get("target", "").lower()
    return row["source"], row["relation"], number, None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lists", nargs="+", type=Path)
    parser.add_argument("--docs", type=Path, required=True)
    parser.add_argument("--show", action="store_true")
    args = parser.parse_args()
    gold: set[tuple] = set()
    sources: set[str] = set()
    for path in args.lists:
        for line in path.read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                sources.add(row["source"])
                if row.get("relation") != "none":
                    gold.add(gold_key(row))
    found: dict[tuple, str] = {}
    for source in sorted(sources):
        for document in load_file(args.docs / source, source):
            for rel in extract_relations(document):
                key = (source, rel.relation, rel.target_number, None if rel.target_number else rel.target_date)
                found[key] = document.text[rel.start:rel.end]
    hits = gold & set(found)
    strip = lambda keys: {(k[0], k[2], k[3]) for k in keys}
    target_hits = strip(gold) & strip(found)
    by_relation = Counter(k[1] for k in gold)
    hit_by_relation = Counter(k[1] for k in hits)
    print(f"{len(sources)} documents, {len(gold)} listed relations, {len(found)} extracted")
    print(f"relation + target: precision {len(hits) / max(len(found), 1):.3f}, recall {len(hits) / max(len(gold), 1):.3f}")
    print(f"target only:       precision {len(target_hits) / max(len(strip(found)), 1):.3f}, "
          f"recall {len(target_hits) / max(len(strip(gold)), 1):.3f}")
    print("recall by relation: " + ", ".join(f"{r} {hit_by_relation[r]}/{n}" for r, n in by_relation.most_common()))
    if args.show:
        for key in sorted(gold - set(found), key=str):
            print("MISSED ", key)
        for key in sorted(set(found) - gold, key=str):
            print("EXTRA  ", key, "|", found[key][:160].replace("\n", " "))


if __name__ == "__main__":
    main()
