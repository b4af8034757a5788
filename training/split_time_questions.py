"""Split the time-and-change questions (issue 18) into a tuning part and a test part, by chain.

Questions of one kind whose chains start at the same document go to the same part (a test question never asks
the same kind of thing about the same chain as a tuned one); kinds are split apart so both parts hold each kind.
Fixed by a hash: the same questions always give the same split.

Usage:  python training/split_time_questions.py QUESTIONS.jsonl [...]   (writes training/data/time/{validation,test}.jsonl)
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "data" / "time"


def main(paths: list[str]) -> None:
    parts: dict[str, list[str]] = {"validation": [], "test": []}
    for path in paths:
        for line in Path(path).read_text().splitlines():
            if not line.strip():
                continue
            question = json.loads(line)
            chain = question.get("chain") or [question.get("about") or question["id"]]
            digest = hashlib.sha256(f"time-split:{question['type']}:{chain[0]}".encode()).digest()
            part = "test" if digest[0] % 2 else "validation"
            question["split"] = part
            parts[part].append(json.dumps(question, ensure_ascii=False))
    for part, lines in parts.items():
        (OUT / f"{part}.jsonl").write_text("\n".join(lines) + "\n")
        print(f"{part}: {len(lines)} questions")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
