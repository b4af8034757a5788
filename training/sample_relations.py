"""Print relations drawn at random from what the extractor finds in a corpus, for a person to check by eye.

The hand-checked lists (training/data/relations/) are the scored measure; this is a quick look at documents they do
not hold. Orders in those lists and those of Jimmy Carter and Richard Nixon are left out.

Usage:  python training/sample_relations.py FULL_CORPUS_DIR [--seed 8] [--documents 1500] [--show 30]
"""
from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from ingest.loaders import load_file
from ingest.relations import extract_relations

LISTS = Path(__file__).resolve().parent / "data" / "relations"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--documents", type=int, default=1500)
    parser.add_argument("--show", type=int, default=30)
    args = parser.parse_args()
    listed = {json.loads(line)["source"] for path in LISTS.glob("r*.jsonl") for line in path.read_text().splitlines()
              if line.strip()}
    files = [p for p in sorted((args.corpus / "Presidential_Executive_Orders").rglob("*.md"))
             if "jimmy-carter" not in str(p) and "richard-nixon" not in str(p) and str(p.relative_to(args.corpus)) not in listed]
    rng = random.Random(args.seed)
    rng.shuffle(files)
    found = [(doc, rel) for path in files[: args.documents] for doc in load_file(path, str(path.relative_to(args.corpus)))
             for rel in extract_relations(doc)]
    print(f"{len(found)} relations in {min(len(files), args.documents)} documents")
    for doc, rel in rng.sample(found, min(args.show, len(found))):
        quote = doc.text[rel.start:rel.end].replace("\n", " ")
        print(f"{doc.source.rsplit('/', 1)[-1][:28]:28} {rel.relation:10} {rel.target_label:24} | {quote[:240]}")


if __name__ == "__main__":
    main()
