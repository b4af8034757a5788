"""Fine-tune a cross-encoder reader from the bundled all-MiniLM-L6-v2 weights and export it to int8 ONNX.

    python training/train_cross_encoder.py            # needs the cache of `train_reader.py collect` and its screen
    python training/train_cross_encoder.py --epochs 2 --model-dir /tmp/trial   # a trial beside the shipped model
    python training/train_cross_encoder.py --loss listwise --model-dir /tmp/trial  # ranking loss over each question's candidates
    python training/train_cross_encoder.py --loss listwise --continue-from assistant/reader_model/cross_encoder.onnx \
        --focus overview --model-dir /tmp/trial   # the shipped model taught a new kind of question, others replayed
    python training/train_cross_encoder.py --loss listwise --continue-from assistant/reader_model/cross_encoder.onnx \
        --groups 3000 --model-dir /tmp/trial   # a further pass over 3,000 groups of all train questions
    python training/train_cross_encoder.py --loss listwise --continue-from assistant/reader_model/cross_encoder.onnx \
        --focus t29 t30 --replay 1.5 --model-dir /tmp/trial   # taught the questions of new writing batches

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

from train_reader import SEED, reading_rows  # noqa: E402

from assistant.reader import MODEL_DIR  # noqa: E402
from vectorstore.embeddings import bundled_model_path, cpu_has_native_bf16  # noqa: E402

HARD_NEGATIVES = 5
RANDOM_NEGATIVES = 1
MAX_TOKENS = 128
EPOCHS = 1
BATCH = 16
GROUP = 8  # listwise: a gold sentence and seven wrong ones read together
REPLAY = 3.0  # --focus: groups of the other questions replayed per group of the new kind
CONTINUE_LR = 2e-5


def ranked_candidates(split: str, screen):
    """Per question of a split that has candidates: the cached row and the indices of its gold candidates and of
    its wrong ones, the latter in the screen's order (hard negatives first)."""
    for r in reading_rows(split):
        if not len(r.labels):
            continue
        order = np.argsort(-screen.predict(r.cheap))
        positives = [int(i) for i in np.where(r.labels > 0)[0]]
        yield r, positives, [int(i) for i in order if not r.labels[i]]


def pairs(split: str, screen, hard_negatives: int = HARD_NEGATIVES) -> list[tuple[str, str, float]]:
    rng = random.Random(SEED)
    out = []
    for r, positives, wrong in ranked_candidates(split, screen):
        question = r.question_reading
        negatives = wrong[: hard_negatives if positives else 3]
        others = [i for i in range(len(r.labels)) if not r.labels[i] and i not in negatives]
        negatives += rng.sample(others, min(RANDOM_NEGATIVES, len(others)))
        out += [(question, r.readings[i], 1.0) for i in positives] + [(question, r.readings[i], 0.0) for i in negatives]
    rng.shuffle(out)
    return out


def in_focus(row, focus: list[str]) -> bool:
    """Whether a question is one --focus names: by the start of its type, or by its writing batch (its id's prefix)."""
    return any(row.type.startswith(f) or row.qid.startswith(f"{f}-") for f in focus)


def groups(candidates, hard_negatives: int = HARD_NEGATIVES, size: int = GROUP) -> list[list[tuple[str, str, float]]]:
    """For the listwise loss: per question of `candidates` (from `ranked_candidates`), one group per gold sentence
    (at most two): the gold sentence first, then the screen's best wrong candidates and a random one, `size` in all;
    an unanswerable question gives one group of wrong candidates only (it counts in the pointwise part of the loss
    alone)."""
    rng = random.Random(SEED)
    out = []
    for r, positives, wrong in candidates:
        negatives = wrong[:hard_negatives]
        rest = wrong[hard_negatives:]
        negatives += rng.sample(rest, min(size - 1 - len(negatives), len(rest)))
        question = r.question_reading
        for positive in rng.sample(positives, min(2, len(positives))) or [None]:
            members = ([positive] if positive is not None else []) + negatives
            out.append([(question, r.readings[i], float(r.labels[i])) for i in members])
    rng.shuffle(out)
    return out


def weights_from_onnx(path: Path) -> dict:
    """The torch state dict of a cross-encoder exported by `export` (int8 weights dequantised): what training
    goes on from with --continue-from. Weights exported as MatMul inputs are found by their node's module path
    ("/bert/encoder/layer.2/attention/self/query/MatMul_quant") and transposed back."""
    import onnx
    import torch
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    arrays = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
    module_of = {}
    for node in graph.node:
        if node.op_type in ("MatMul", "MatMulInteger") and node.name.startswith("/bert/encoder/"):
            module = node.name.strip("/").rsplit("/", 1)[0].replace("/", ".")
            for name in node.input:
                if name in arrays:
                    module_of[name.removesuffix("_quantized")] = module
    state = {}
    for name, array in arrays.items():
        if name.endswith(("_scale", "_zero_point")):
            continue
        base = name.removesuffix("_quantized")
        if name != base:
            array = (array.astype(np.float32) - arrays[base + "_zero_point"].astype(np.float32)) * arrays[base + "_scale"]
        if base in module_of:
            state[module_of[base] + ".weight"] = array.T
        elif base.endswith(".weight_Transposed"):
            state[base.removesuffix("_Transposed")] = array.T
        else:
            state[base] = array
    return {name: torch.tensor(np.ascontiguousarray(array), dtype=torch.float32) for name, array in state.items()}


def main(epochs: int, hard_negatives: int | None, model_dir: Path, loss: str = "pointwise",
         continue_from: Path | None = None, focus: list[str] | None = None, replay: float = REPLAY,
         at_most: int | None = None) -> None:
    import lightgbm
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    torch.manual_seed(SEED)
    torch.set_num_threads(2)
    screen = lightgbm.Booster(model_file=str(MODEL_DIR / "screen.txt"))
    if focus:
        # more training of a shipped model on one kind of question it has not seen, with a sample of the others
        # replayed beside it so it keeps what it knew
        hard = GROUP - 2 if hard_negatives is None else hard_negatives
        ranked = list(ranked_candidates("train", screen))
        new = groups([c for c in ranked if in_focus(c[0], focus)], hard)
        rest = groups([c for c in ranked if not in_focus(c[0], focus)], hard)
        batches = new + random.Random(SEED).sample(rest, min(len(rest), int(replay * len(new))))
        random.Random(SEED).shuffle(batches)
        print(f"train groups: {len(new)} of {' '.join(focus)} questions, {len(batches) - len(new)} of the others replayed")
    elif loss == "listwise":
        batches = groups(ranked_candidates("train", screen), GROUP - 2 if hard_negatives is None else hard_negatives)
        print(f"train groups: {len(batches)} of at most {GROUP}, with a gold sentence {sum(g[0][2] > 0 for g in batches)}")
    else:
        train = pairs("train", screen, HARD_NEGATIVES if hard_negatives is None else hard_negatives)
        print(f"train pairs: {len(train)}, positive {sum(p[2] for p in train):.0f}")
        batches = [train[offset: offset + BATCH] for offset in range(0, len(train), BATCH)]
    if at_most is not None and at_most < len(batches):
        batches = random.Random(SEED).sample(batches, at_most)
        print(f"trained on {at_most} of them, drawn at random")
    base = str(bundled_model_path())
    tokenizer = AutoTokenizer.from_pretrained(base)
    model = AutoModelForSequenceClassification.from_pretrained(base, num_labels=1)
    if continue_from:
        missing, unexpected = model.load_state_dict(weights_from_onnx(continue_from), strict=False)
        if unexpected or [m for m in missing if not m.endswith("position_ids")]:
            raise SystemExit(f"{continue_from}: weights do not fit the model (missing {missing}, unexpected {unexpected})")
    optimizer = torch.optim.AdamW(model.parameters(), lr=CONTINUE_LR if continue_from else 4e-5, weight_decay=0.01)
    steps = epochs * len(batches)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, s / (0.1 * steps)) * max(0.0, (steps - s) / steps))
    loss_fn = torch.nn.BCEWithLogitsLoss()
    autocast = cpu_has_native_bf16()
    model.train()
    started, step = time.time(), 0
    for epoch in range(epochs):
        random.Random(SEED + epoch).shuffle(batches)
        for batch in batches:
            encoded = tokenizer([b[0] for b in batch], [b[1] for b in batch], truncation="only_second",
                                max_length=MAX_TOKENS, padding=True, return_tensors="pt")
            labels = torch.tensor([b[2] for b in batch])
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
                logits = model(**encoded).logits.squeeze(-1)
            objective = loss_fn(logits.float(), labels)
            if loss == "listwise" and labels[0] > 0:
                # the gold sentence (first) against the rest of its group: the ranking the reader is used for
                objective = objective + torch.nn.functional.cross_entropy(logits.float()[None], torch.tensor([0]))
            objective.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            step += 1
            if step % 50 == 0:
                print(f"epoch {epoch} step {step}/{steps} loss {objective.item():.4f} {time.time() - started:.0f} s", flush=True)
    model.eval()
    export(model, tokenizer, model_dir)


def export(model, tokenizer, model_dir: Path) -> None:
    import torch

    model_dir.mkdir(parents=True, exist_ok=True)
    fp32 = model_dir / "cross_encoder_fp32.onnx" if model_dir != MODEL_DIR else Path("/tmp/policyqa-cross-encoder-fp32.onnx")
    sample = tokenizer(["what is asked"], ["a sentence"], return_tensors="pt")
    with torch.no_grad():
        torch.onnx.export(model, (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]), str(fp32),
                          input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["logits"],
                          dynamic_axes={n: {0: "batch", 1: "tokens"} for n in ("input_ids", "attention_mask", "token_type_ids")}
                          | {"logits": {0: "batch"}}, opset_version=17, dynamo=False)
    quantize(fp32, model_dir)


REFERENCE_PAIRS = 48  # validation pairs kept beside the int8 model for its test
CHOICE_PAIRS = 192  # the next validation pairs: on them the quantisation recipe is chosen


def quantize(fp32: Path, model_dir: Path) -> None:
    """The int8 copy the assistant reads, and the reference logits its test compares it with. Which layers stay
    fp32, and one scale per tensor or per channel, is chosen per model: the recipe whose logits lie closest to
    fp32's (largest difference, in the logits' standard deviations) on CHOICE_PAIRS validation pairs apart from the
    reference pairs. No single recipe held for every model: the eighteenth session's needed one scale per tensor
    (0.19 against 0.34 per channel), the twentieth's per channel with both feed-forward layers kept (0.43 against
    1.66 with one scale per tensor; 0.18 on the reference pairs)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from assistant.reader import CrossEncoder

    target = model_dir / "cross_encoder.onnx"
    matmuls = [node.name for node in onnx.load(str(fp32)).graph.node if node.op_type == "MatMul"]
    feed_forward_out = [n for n in matmuls if n.endswith("/output/dense/MatMul") and "/attention/" not in n]
    feed_forward_in = [n for n in matmuls if n.endswith("/intermediate/dense/MatMul")]
    first_layer = [n for n in matmuls if "/layer.0/" in n]
    recipes = {  # name: (nodes kept fp32, per channel): 34, 34, 37 and 44 MB
        "feed-forward outputs kept, one scale per tensor": (feed_forward_out, False),
        "feed-forward outputs kept, per channel": (feed_forward_out, True),
        "feed-forward outputs and layer 0 kept, per channel": (sorted(set(feed_forward_out + first_layer)), True),
        "feed-forward layers kept, per channel": (feed_forward_out + feed_forward_in, True),
    }
    validation = _validation_pairs()
    sample = validation[REFERENCE_PAIRS: REFERENCE_PAIRS + CHOICE_PAIRS]
    full = CrossEncoder(fp32)
    expected = np.array([full.logits(q, [t])[0] for q, t, _ in sample])
    best = None
    for name, (kept, per_channel) in recipes.items():
        trial = model_dir / "cross_encoder.trial.onnx"
        quantize_dynamic(str(fp32), str(trial), weight_type=QuantType.QInt8, per_channel=per_channel,
                         nodes_to_exclude=kept)
        quantised = CrossEncoder(trial)
        got = np.array([quantised.logits(q, [t])[0] for q, t, _ in sample])
        del quantised  # its session holds the file the next recipe overwrites
        distance = float(np.abs(got - expected).max() / expected.std())
        print(f"int8 recipe '{name}': largest difference from fp32 {distance:.3f} of the logits' spread "
              f"({len(sample)} validation pairs)")
        if best is None or distance < best[0]:
            best = (distance, name)
            trial.replace(target)
        else:
            trial.unlink()
    print(f"exported {target} ({target.stat().st_size / 1e6:.1f} MB, {best[1]}); fp32 copy at {fp32}")
    reference(fp32, model_dir, validation)


def _validation_pairs() -> list[tuple[str, str, float]]:
    import lightgbm

    return pairs("validation", lightgbm.Booster(model_file=str(MODEL_DIR / "screen.txt")))


def reference(fp32: Path, model_dir: Path = MODEL_DIR, validation: list[tuple[str, str, float]] | None = None) -> None:
    """Keep the full-precision model's logits on validation pairs (`_validation_pairs`, unless given) beside the
    int8 model, for the test that checks the quantised copy against them."""
    import json

    from assistant.reader import CrossEncoder

    sample = (validation if validation is not None else _validation_pairs())[:REFERENCE_PAIRS]
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
    parser.add_argument("--hard-negatives", type=int,
                        help=f"the screen's best wrong candidates kept per question (default {HARD_NEGATIVES}; "
                             f"listwise {GROUP - 2}, with one at random filling a group of {GROUP})")
    parser.add_argument("--model-dir", type=Path, default=MODEL_DIR, help="where the ONNX model goes")
    parser.add_argument("--loss", choices=["pointwise", "listwise"], default="pointwise",
                        help="pointwise: each pair alone (binary cross-entropy); listwise: also the gold sentence "
                             "against the wrong ones of its question (softmax cross-entropy over groups of 8)")
    parser.add_argument("--continue-from", type=Path, metavar="ONNX",
                        help="go on training this exported model (e.g. the shipped assistant/reader_model/"
                             "cross_encoder.onnx) instead of starting from the bundled MiniLM weights")
    parser.add_argument("--focus", metavar="TYPE_OR_BATCH", nargs="+",
                        help="train on the questions whose type starts with one of these (e.g. overview, or time_ for "
                             "every kind of time question) or that a writing batch wrote (t29: ids t29-...), with "
                             "--replay times as many groups of the other questions")
    parser.add_argument("--replay", type=float, default=REPLAY)
    parser.add_argument("--groups", type=int, metavar="N",
                        help="train on N of the groups (or batches), drawn at random with the fixed seed: with "
                             "--continue-from, a further part-epoch over all train questions in the time one has")
    parser.add_argument("--quantize", type=Path, metavar="FP32_ONNX",
                        help="only quantise this full-precision export again (and recompute the reference logits)")
    parser.add_argument("--reference", action="store_true",
                        help="only recompute the fp32 reference logits from /tmp/policyqa-cross-encoder-fp32.onnx")
    args = parser.parse_args()
    if args.quantize:
        quantize(args.quantize, args.model_dir)
    elif args.reference:
        reference(Path("/tmp/policyqa-cross-encoder-fp32.onnx"), args.model_dir)
    elif args.focus and args.loss != "listwise":
        parser.error("--focus trains on listwise groups: add --loss listwise")
    else:
        main(args.epochs, args.hard_negatives, args.model_dir, args.loss, args.continue_from, args.focus, args.replay,
             args.groups)
