"""Fine-tune a cross-encoder reader from the bundled all-MiniLM-L6-v2 weights and export it to int8 ONNX.

    python training/train_cross_encoder.py            # needs the cache of `train_reader.py collect` and its screen
    python training/train_cross_encoder.py --epochs 2 --model-dir /tmp/trial   # a trial beside the shipped model

It reads (question, candidate sentence) pairs: each train question's gold sentences as positives, the screen's
best-ranked other candidates as hard negatives (same and look-alike documents), a few from unanswerable questions.
Fixed seed; CPU (bf16 autocast where the CPU has native bf16). Writes assistant/reader_model/cross_encoder.onnx
(int8, dynamic quantisation) and prints how far its scores are from the fp32 model's on validation pairs.
"""
from __future__ import annotations

import random
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "training"))

from train_reader import SEED, load_cache  # noqa: E402

from assistant.reader import MODEL_DIR  # noqa: E402
from vectorstore.embeddings import bundled_model_path, cpu_has_native_bf16  # noqa: E402

HARD_NEGATIVES = 5
RANDOM_NEGATIVES = 1
MAX_TOKENS = 128
EPOCHS = 1
BATCH = 16


def pairs(split: str, screen, hard_negatives: int = HARD_NEGATIVES) -> list[tuple[str, str, float]]:
    rows = load_cache(split)
    rng = random.Random(SEED)
    out = []
    for r in rows:
        if not len(r.labels):
            continue
        question = r.question_reading
        order = np.argsort(-screen.predict(r.cheap))
        positives = [i for i in np.where(r.labels > 0)[0]]
        negatives = [i for i in order if not r.labels[i]][: hard_negatives if positives else 3]
        others = [i for i in range(len(r.labels)) if not r.labels[i] and i not in negatives]
        negatives += rng.sample(others, min(RANDOM_NEGATIVES, len(others)))
        out += [(question, r.readings[i], 1.0) for i in positives] + [(question, r.readings[i], 0.0) for i in negatives]
    rng.shuffle(out)
    return out


def main(epochs: int, hard_negatives: int, model_dir: Path) -> None:
    import lightgbm
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    screen = lightgbm.Booster(model_file=str(MODEL_DIR / "screen.txt"))
    train = pairs("train", screen, hard_negatives)
    print(f"train pairs: {len(train)}, positive {sum(p[2] for p in train):.0f}")
    base = str(bundled_model_path())
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1)
    optimizer = torch.optim.AdamW(model.parameters(), lr=4e-5, weight_decay=0.01)
    steps = epochs * (len(train) + BATCH - 1) // BATCH
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, s / (0.1 * steps)) * max(0.0, (steps - s) / steps))
    loss_fn = torch.nn.BCEWithLogitsLoss()
    autocast = cpu_has_native_bf16()
    model.train()
    started, step = time.time(), 0
    for epoch in range(epochs):
        random.Random(SEED + epoch).shuffle(train)
        for offset in range(0, len(train), BATCH):
            batch = train[offset: offset + BATCH]
            encoded = tokenizer([b[0] for b in batch], [b[1] for b in batch], truncation="only_second",
                                max_length=MAX_TOKENS, padding=True, return_tensors="pt")
            labels = torch.tensor([b[2] for b in batch])
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
                logits = model(**encoded).logits.squeeze(-1)
            loss = loss_fn(logits.float(), labels)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step += 1
            if step % 50 == 0:
                print(f"epoch {epoch} step {step}/{steps} loss {loss.item():.4f} {time.time() - started:.0f} s", flush=True)
    model.eval()
    export(model, tokenizer, model_dir)


def export(model, tokenizer, model_dir: Path) -> None:
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model_dir.mkdir(parents=True, exist_ok=True)
    fp32 = model_dir / "cross_encoder_fp32.onnx" if model_dir != MODEL_DIR else Path("/tmp/policyqa-cross-encoder-fp32.onnx")
    sample = tokenizer(["what is asked"], ["a sentence"], return_tensors="pt")
    with torch.no_grad():
        torch.onnx.export(model, (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]), str(fp32),
                          input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["logits"],
                          dynamic_axes={n: {0: "batch", 1: "tokens"} for n in ("input_ids", "attention_mask", "token_type_ids")}
                          | {"logits": {0: "batch"}}, opset_version=17, dynamo=False)
    target = model_dir / "cross_encoder.onnx"
    # per-channel scales: correlation 0.993 to fp32 against 0.968 per tensor (48 validation pairs), same 23 MB
    quantize_dynamic(str(fp32), str(target), weight_type=QuantType.QInt8, per_channel=True)
    print(f"exported {target} ({target.stat().st_size / 1e6:.1f} MB); fp32 copy at {fp32}")
    reference(fp32, model_dir)


def reference(fp32: Path, model_dir: Path = MODEL_DIR) -> None:
    """Keep the full-precision model's logits on validation pairs beside the int8 model, for the test that checks
    the quantised copy against them."""
    import json

    import lightgbm

    from assistant.reader import CrossEncoder

    screen = lightgbm.Booster(model_file=str(MODEL_DIR / "screen.txt"))
    sample = pairs("validation", screen)[:48]
    full, quantised = CrossEncoder(fp32), CrossEncoder(model_dir / "cross_encoder.onnx")
    expected = [float(full.logits(q, [t])[0]) for q, t, _ in sample]
    got = [float(quantised.logits(q, [t])[0]) for q, t, _ in sample]
    print(f"int8 against fp32 on {len(sample)} validation pairs: max |logit difference| "
          f"{max(abs(a - b) for a, b in zip(expected, got)):.3f}, correlation {np.corrcoef(expected, got)[0, 1]:.4f}")
    (model_dir / "cross_encoder_reference.json").write_text(json.dumps(
        [{"question": q, "sentence": t, "fp32_logit": round(e, 4)} for (q, t, _), e in zip(sample, expected)], indent=1) + "\n")


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--hard-negatives", type=int, default=HARD_NEGATIVES,
                        help="the screen's best wrong candidates kept per question")
    parser.add_argument("--model-dir", type=Path, default=MODEL_DIR, help="where the ONNX model goes")
    parser.add_argument("--reference", action="store_true",
                        help="only recompute the fp32 reference logits from /tmp/policyqa-cross-encoder-fp32.onnx")
    args = parser.parse_args()
    if args.reference:
        reference(Path("/tmp/policyqa-cross-encoder-fp32.onnx"), args.model_dir)
    else:
        main(args.epochs, args.hard_negatives, args.model_dir)
