"""Learn when a question is a follow-up (it needs the earlier exchange) from the question sets, and tune on validation.

    python training/train_follow_up.py        # prints train and validation figures, writes assistant/reader_model/follow_up.json

Positives: the follow-up questions of a split, with their own history. Negatives: every other question of the split
asked after the history of a follow-up drawn at random (fixed seed): a self-contained question asked as a second
turn, which must not be read with the earlier exchange. A logistic regression over the features of
`assistant.analysis.follow_up_features` (class-balanced, fixed seed), read at its own boundary (0.5): on
validation every threshold up to 0.85 keeps all 29 follow-ups, too few to tune on, and a missed follow-up costs
more than a question read with an exchange it did not need. The test split is never read.
"""
from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from assistant.analysis import FOLLOW_UP_FEATURES, FOLLOW_UP_MODEL, follow_up_features  # noqa: E402
from assistant.answers import Turn  # noqa: E402

DATA = REPO / "training" / "data"
SEED = 20261206


def pairs(split: str, seed: int) -> tuple[np.ndarray, np.ndarray]:
    questions = [json.loads(line) for line in (DATA / f"{split}.jsonl").read_text().splitlines() if line.strip()]
    follow_ups = [q for q in questions if q.get("history")]
    rng = random.Random(seed)
    rows, labels = [], []
    for q in questions:
        history = q.get("history") or rng.choice(follow_ups)["history"]
        rows.append(follow_up_features(q["question"], [Turn.from_dict(t) for t in history]))
        labels.append(1 if q.get("history") else 0)
    return np.array(rows), np.array(labels)


def main() -> None:
    from sklearn.linear_model import LogisticRegression

    x_train, y_train = pairs("train", SEED)
    x_val, y_val = pairs("validation", SEED + 1)
    model = LogisticRegression(class_weight="balanced", fit_intercept=False, max_iter=5000, random_state=SEED)
    model.fit(x_train, y_train)
    threshold = 0.5
    for name, x, y in (("train", x_train, y_train), ("validation", x_val, y_val)):
        taken = model.predict_proba(x)[:, 1] >= threshold
        print(f"{name}: {int(y.sum())} follow-ups, recall {taken[y == 1].mean():.3f}; {int((y == 0).sum())} "
              f"self-contained questions after an unrelated exchange, taken for follow-ups {taken[y == 0].mean():.3f}")
    FOLLOW_UP_MODEL.write_text(json.dumps({"features": FOLLOW_UP_FEATURES, "weights": model.coef_[0].round(4).tolist(),
                                           "threshold": round(threshold, 4), "script": "training/train_follow_up.py",
                                           "trained_on": "training/data/train.jsonl",
                                           "tuned_on": "training/data/validation.jsonl", "seed": SEED}, indent=1) + "\n")
    print(f"threshold {threshold:.4f}; wrote {FOLLOW_UP_MODEL}")


if __name__ == "__main__":
    main()
