"""Do the embedding numerics change results? Ingest one corpus per configuration and compare dev-set metrics.

For each configuration (PyTorch fp32, PyTorch bf16, ONNX Runtime fp32) the script builds a fresh store of the
corpus, answers every question of the file, and prints the metrics side by side with the largest difference
from PyTorch fp32, plus the ingest time and the embedding cosine to fp32 on a sample of chunk texts.

    python benchmarks/numerics.py data/demo_corpus --questions ../shared/eval/dev_questions.jsonl

bf16 only pays off on CPUs with native bf16 (AVX-512 BF16 or AMX); elsewhere it is emulated and slow, but the
results are still comparable, which is the point of this script.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

CONFIGURATIONS = {
    "torch-fp32": {"embedding_backend": "torch", "embedding_dtype": "fp32"},
    "torch-bf16": {"embedding_backend": "torch", "embedding_dtype": "bf16"},
    "onnx-fp32": {"embedding_backend": "onnx", "embedding_dtype": "fp32"},
}
METRICS = ["hit@1", "hit@5", "mrr@10", "keyword_accuracy", "evidence_recall", "citation_precision",
           "refusal_recall", "false_refusal_rate"]


def run_configuration(name: str, corpus: Path, questions, work: Path) -> dict:
    from assistant.core import build_assistant
    from assistant.evaluation import compute_summary
    from assistant.settings import Settings

    assistant = build_assistant(Settings(store=work / name, **CONFIGURATIONS[name]))
    started = time.perf_counter()
    report = assistant.ingest([corpus], progress=False)
    ingest_seconds = time.perf_counter() - started
    results = []
    for question in questions:
        answer = assistant.ask(question.question, question.history).to_json()
        answer["id"] = question.id
        results.append(answer)
    summary = compute_summary(questions, results, assistant.document_text)["overall"]
    sample = [row[3] for row in assistant.catalog.chunk_rows()[:300]]
    vectors = assistant.embedder.embed(sample)
    assistant.close()
    return {"summary": summary, "ingest_seconds": ingest_seconds, "chunks": report.chunks_written,
            "backend": assistant.embedder.backend, "dtype": assistant.embedder.dtype, "sample_vectors": vectors}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--questions", type=Path, required=True)
    parser.add_argument("--only", nargs="+", choices=list(CONFIGURATIONS), default=list(CONFIGURATIONS))
    args = parser.parse_args()

    import numpy as np

    from assistant.evaluation import load_questions

    questions = load_questions(args.questions)
    names = ["torch-fp32"] + [n for n in args.only if n != "torch-fp32"]
    outcomes = {}
    with tempfile.TemporaryDirectory(prefix="policyqa-numerics-") as work:
        for name in names:
            print(f"[{time.strftime('%H:%M:%S')}] {name}: ingesting {args.corpus}", flush=True)
            outcomes[name] = run_configuration(name, args.corpus, questions, Path(work))

    reference = outcomes["torch-fp32"]
    header = f"{'metric':22s}" + "".join(f"{n:>14s}" for n in names) + f"{'max |diff|':>14s}"
    print("\n" + header + "\n" + "-" * len(header))
    for metric in METRICS:
        values = [outcomes[n]["summary"].get(metric) for n in names]
        diffs = [abs(v - values[0]) for v in values[1:] if v is not None and values[0] is not None]
        cells = "".join(f"{v:>14.3f}" if v is not None else f"{'—':>14s}" for v in values)
        print(f"{metric:22s}{cells}{max(diffs, default=0.0):>14.3f}")
    print(f"{'ingest (s)':22s}" + "".join(f"{outcomes[n]['ingest_seconds']:>14.1f}" for n in names))
    for name in names[1:]:
        ours, theirs = outcomes[name]["sample_vectors"], reference["sample_vectors"]
        cosine = (ours * theirs).sum(axis=1) / (np.linalg.norm(ours, axis=1) * np.linalg.norm(theirs, axis=1))
        print(f"  * {name} ({outcomes[name]['backend']}, {outcomes[name]['dtype']}): cosine to torch-fp32 on "
              f"{len(cosine)} chunk texts: mean {cosine.mean():.5f}, min {cosine.min():.5f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
