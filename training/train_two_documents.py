"""Learn when a question needs two documents from the question sets, and tune its threshold on validation.

    python training/train_two_documents.py    # prints train and validation figures, writes assistant/reader_model/two_documents.json

Positives: the questions whose evidence quotes two or more documents; negatives: every other question of the split
(unanswerable ones included). A logistic regression over `assistant.analysis.two_documents_features` (fixed seed),
trained on train; the threshold is the one with the best F2 on validation (its 435 questions plus the dev and
held-out sets of the demo corpus): a two-document question read as one loses its second half, while a question
read as two still quotes its best document first, so a miss costs more than a false alarm. The test split is never
read.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "training"))

from train_reader import SEED, load  # noqa: E402

from assistant.analysis import TWO_DOCUMENTS_FEATURES, TWO_DOCUMENTS_MODEL, two_documents_features  # noqa: E402


def rows(split: str) -> tuple[np.ndarray, np.ndarray]:
    questions = load(split)
    x = np.array([two_documents_features(q["question"]) for q in questions])
    y = np.array([int(len({e["doc"] for e in q.get("evidence") or []}) >= 2) for q in questions])
    return x, y


def f_beta(taken: np.ndarray, y: np.ndarray, beta: float = 2.0) -> float:
    found = float((taken & (y == 1)).sum())
    precision, recall = found / max(taken.sum(), 1), found / max((y == 1).sum(), 1)
    return (1 + beta**2) * precision * recall / max(beta**2 * precision + recall, 1e-9)


def main() -> None:
    from sklearn.linear_model import LogisticRegression

    x_train, y_train = rows("train")
    x_val, y_val = rows("validation")
    model = LogisticRegression(fit_intercept=False, max_iter=5000, random_state=SEED).fit(x_train, y_train)
    p_val = model.predict_proba(x_val)[:, 1]
    threshold = max(np.arange(0.05, 0.91, 0.05), key=lambda t: (f_beta(p_val >= t, y_val), -t))
    for name, x, y in (("train", x_train, y_train), ("validation", x_val, y_val)):
        taken = model.predict_proba(x)[:, 1] >= threshold
        print(f"{name}: {int(y.sum())} questions on two documents, found {taken[y == 1].mean():.3f}; "
              f"{int((y == 0).sum())} others, taken for two-document questions {taken[y == 0].mean():.3f}")
    TWO_DOCUMENTS_MODEL.write_text(json.dumps(
        {"features": TWO_DOCUMENTS_FEATURES, "weights": model.coef_[0].round(4).tolist(),
         "threshold": round(float(threshold), 4), "script": "training/train_two_documents.py",
         "trained_on": "training/data/train.jsonl",
         "tuned_on": "training/data/validation.jsonl (+ data/sample_questions.jsonl, benchmarks/heldout*)",
         "seed": SEED}, indent=1) + "\n")
    print(f"threshold {threshold:.2f}; wrote {TWO_DOCUMENTS_MODEL}")


if __name__ == "__main__":
    main()
