"""Check a relation-listing batch: well-formed lines, allowed relations, verbatim quotes.

Usage:  python training/check_relations.py BATCH_DIR   (reads BATCH_DIR/relations.jsonl and BATCH_DIR/docs/)

The checker the relation writers ran on their lists (training/data/relations/DATASHEET.md).
"""
import json, sys
from collections import Counter
from pathlib import Path

RELATIONS = {"amends", "revokes", "supersedes", "suspends", "extends", "implements", "continues", "modifies"}
KINDS = {"executive_order", "proclamation", "memorandum", "other"}

def main(batch: Path) -> int:
    problems, kinds = 0, Counter()
    covered = set()
    for n, line in enumerate((batch / "relations.jsonl").read_text().splitlines(), 1):
        if not line.strip():
            continue
        def bad(why):
            nonlocal problems
            problems += 1
            print(f"line {n}: {why}")
        try:
            r = json.loads(line)
        except json.JSONDecodeError as e:
            bad(f"not JSON ({e})"); continue
        path = batch / "docs" / r.get("source", "")
        if not r.get("source") or not path.is_file():
            bad(f"source {r.get('source')!r} is not in docs/"); continue
        covered.add(r["source"])
        if r.get("relation") == "none":
            continue
        for field in ("relation", "target", "target_kind", "target_number", "quote"):
            if field not in r:
                bad(f"missing field {field!r}")
        if r.get("relation") not in RELATIONS:
            bad(f"relation {r.get('relation')!r} is not one of {sorted(RELATIONS)} (or 'none')")
        if r.get("target_kind") not in KINDS:
            bad(f"target_kind {r.get('target_kind')!r} is not one of {sorted(KINDS)}")
        quote = r.get("quote", "")
        text = path.read_text(errors="replace")
        if "\n" in quote:
            bad("a quote must be on one line")
        elif quote not in text:
            bad(f"quote is not verbatim in {r['source']}: {quote[:80]!r}")
        num = r.get("target_number")
        if num and str(num) not in quote:
            bad(f"target_number {num!r} is not in the quote; quote the words that name the target")
        kinds[r.get("relation")] += 1
    all_docs = {str(p.relative_to(batch / "docs")) for p in (batch / "docs").rglob("*") if p.is_file()}
    missing = sorted(all_docs - covered)
    for source in missing:
        print(f"not yet covered (list its relations, or one line with \"relation\": \"none\"): {source}")
    print(f"{sum(kinds.values())} relations, {problems} problems, {len(missing)} documents not covered; "
          + ", ".join(f"{k}={v}" for k, v in sorted(kinds.items())))
    return 1 if problems or missing else 0

if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
