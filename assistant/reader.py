"""The trained reader: models score each candidate sentence for "this answers the question".

Two models, trained by `training/train_reader.py` and `training/train_cross_encoder.py` from the question sets in
`training/data/` and shipped in `assistant/reader_model/`, read a question and the candidate sentences of the
retrieved passages:

1. the *screen*, a gradient-boosted model (LightGBM), scores every candidate from cheap features: the question's
   terms it covers, weighted by rarity; the passage's retrieval rank and similarity; what kind of fact the sentence
   states beside what kind the question asks for; where it sits in its document;
2. the *cross-encoder*, MiniLM fine-tuned from the bundled weights (int8 ONNX), reads the question and each of the
   screen's best few sentences together.

Their blended probability ranks the sentences. A third model, also LightGBM, reads the ranking (how sure both models
are of the best sentence, how far ahead of the next it is, how much of the question it covers) for the probability
that the passages answer the question at all: below the threshold chosen on the validation split (at most 5% false
refusals there) the assistant refuses. Nothing here is a rule about which sentence wins: the features describe, the
models decide.
"""

from __future__ import annotations

import json
import re
from functools import cache, cached_property, partial
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Sequence

import numpy as np

from assistant.analysis import QUESTION_KINDS, QuestionAnalysis
from vectorstore.lexical import tokenize

if TYPE_CHECKING:
    from assistant.extractive import Candidate

MODEL_DIR = Path(__file__).resolve().parent / "reader_model"
# a question about two documents (`QuestionAnalysis.about_two_documents`) is answered with the best of each
TWO_DOCUMENTS = 2
# ... and in each, a second sentence the reader rates at least a tenth as likely, within 60 words per document
# (offline, 105 validation questions read as about two documents: keyword accuracy 0.438 -> 0.486, 57 -> 79 words)
PER_DOCUMENT_CHOICE = {"max_sentences": 2, "same_document_ratio": 0.1, "max_words": 60}
# a quote cut inside its sentence is extended while the answer stays within this many words: the median the issue
# sets (validation 435: keyword accuracy 0.627 -> 0.637, median 58 -> 59 words; 65 words: 0.640 at 60; 75: 0.653 at 66)
EXTENDED_ANSWER_WORDS = 60
# and for a question that asks for a list (`QUESTION_KINDS["list"]`), whose items the answer must reach (validation
# 435: keyword accuracy 0.624 -> 0.629, two questions gained and none lost; median still 60 words; 120: the same)
LIST_ANSWER_WORDS = 90

# what a sentence states
SENTENCE_KINDS = {
    "date": re.compile(r"\b(January|February|March|April|May|June|July|August|September|October|November|December)\s+\d{1,2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b"),
    "year": re.compile(r"\b(1[89]\d\d|20\d\d)\b"),
    "period": re.compile(r"\b(\d+|one|two|three|four|five|six|seven|eight|nine|ten|thirty|sixty|ninety|\w+-\w+)[- ](days?|weeks?|months?|years?|hours?)\b", re.I),
    "number": re.compile(r"\b\d[\d,.]*\b|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|hundred|thousand|million|billion)\b", re.I),
    "percent": re.compile(r"\d\s*(%|percent\b|per centum\b)", re.I),
    "money": re.compile(r"\$\s?\d|\b\d[\d,.]*\s*(dollars|million|billion)\b|\bdollars?\b", re.I),
    "official": re.compile(r"\b(Secretary|Director|Administrator|Attorney General|Chairman|Chair|Commissioner|Comptroller|Governor|Ambassador|Representative|Board|Council|Commission|Committee|Agency|Department|Office)\b"),
    "definition": re.compile(r"\b(means|shall mean|is defined|refers to|the term|includes?)\b", re.I),
    "deontic": re.compile(r"\b(shall|must|may|is hereby|are hereby|authorized|directed)\b", re.I),
    "list": re.compile(r"(^|\n)\s*(\([a-z0-9ivx]+\)|[a-z0-9]\.|\*|-)\s", re.I),
    "reason": re.compile(r"\b(because|in order to|to ensure|to promote|to protect|purpose|policy of)\b", re.I),
    "revokes": re.compile(r"\b(revoked|superseded|amended|rescinded|suspended|terminated|abolished)\b", re.I),
}
FEATURES = (
    ["coverage", "coverage_context", "coverage_title", "coverage_conversation", "matched_terms", "question_terms",
     "coverage_gap", "chunk_rank", "document_rank", "chunk_dense", "chunk_lexical", "chunk_fused", "words",
     "position", "title_like", "ends_colon", "boilerplate", "same_document_as_first"]
    + [f"asks_{k}" for k in QUESTION_KINDS] + [f"states_{k}" for k in SENTENCE_KINDS] + ["follow_up"]
)


def question_kinds(question: QuestionAnalysis) -> np.ndarray:
    return np.array([1.0 if kind in question.asks else 0.0 for kind in QUESTION_KINDS], dtype=np.float32)


def sentence_kinds(text: str) -> list[float]:
    return [1.0 if pattern.search(text) else 0.0 for pattern in SENTENCE_KINDS.values()]


def features(question: QuestionAnalysis, candidates: Sequence["Candidate"], idf: Callable, is_boilerplate: Callable,
             document_length: Callable[[str], int]) -> np.ndarray:
    """One row per candidate, in FEATURES order."""
    terms = set(tokenize(question.question))
    context = set(question.context_terms) - terms
    weights = idf(sorted(terms | context)) if terms or context else {}
    total = sum(weights.get(t, 0.0) for t in terms) or 1.0
    context_total = sum(weights.get(t, 0.0) for t in context) or 1.0
    kinds = question_kinds(question)
    documents = {source: rank for rank, source in
                 enumerate(dict.fromkeys(c.chunk.source for c in sorted(candidates, key=lambda c: c.chunk_rank)))}
    first = next(iter(documents), None)
    title_cover: dict[str, float] = {}
    rows = []
    for c in candidates:
        title = c.chunk.title
        if title not in title_cover:
            title_cover[title] = sum(weights.get(t, 0.0) for t in terms & set(tokenize(title))) / total
        matched = terms & c.terms
        coverage = sum(weights.get(t, 0.0) for t in matched) / total
        inherited = sum(weights.get(t, 0.0) for t in (terms & c.context) - matched) / total
        conversation = sum(weights.get(t, 0.0) for t in context & c.terms) / context_total if context else 0.0
        length = max(document_length(c.chunk.source), 1)
        rows.append([
            coverage, inherited, title_cover[title], conversation, len(matched), len(terms), 0.0,
            c.chunk_rank, documents[c.chunk.source], c.chunk.dense_score if c.chunk.dense_score is not None else -1.0,
            c.chunk.lexical_score if c.chunk.lexical_score is not None else -1.0, c.chunk.score,
            c.words, c.start / length, float(c.title_like), float(c.text.rstrip().endswith(":")),
            float(is_boilerplate(c.text)), float(c.chunk.source == first),
            *kinds, *sentence_kinds(c.text), float(question.is_follow_up),
        ])
    matrix = np.asarray(rows, dtype=np.float32).reshape(len(rows), len(FEATURES))
    if len(rows):
        column = FEATURES.index("coverage")
        matrix[:, FEATURES.index("coverage_gap")] = matrix[:, column].max() - matrix[:, column]
    return matrix


_FEATURE_COLUMN = {name: index for index, name in enumerate(FEATURES)}
ANSWERABILITY_FEATURES = [
    "log_best_probability", "best_logit", "second_logit", "logit_gap", "log_best_screen", "mean_top3_screen",
    "mean_logit", "best_coverage", "best_coverage_title", "best_coverage_context", "best_chunk_dense",
    "best_chunk_lexical", "best_chunk_rank", "best_matched_terms", "question_terms", "candidates", "max_coverage",
    "max_chunk_dense", "follow_up",
]


def answerability_features(rows: np.ndarray, screened: np.ndarray, shortlist: np.ndarray, logits: np.ndarray,
                           probability: np.ndarray) -> list[float]:
    """What tells a question the passages answer from one they do not, in ANSWERABILITY_FEATURES order: how sure
    the cross-encoder is of its best sentence and how far ahead of the next it is, how sure the screen is, and how
    much of the question the best sentence and its passage cover."""
    ranked_logits = np.sort(logits)[::-1]
    second = float(ranked_logits[1]) if len(ranked_logits) > 1 else -10.0
    best = rows[shortlist[int(np.argmax(probability))]]
    column = _FEATURE_COLUMN
    return [float(np.log(probability.max() + 1e-9)), float(ranked_logits[0]), second, float(ranked_logits[0]) - second,
            float(np.log(screened.max() + 1e-9)), float(np.sort(screened)[::-1][:3].mean()), float(np.mean(logits)),
            *(float(best[column[name]]) for name in ("coverage", "coverage_title", "coverage_context", "chunk_dense",
                                                      "chunk_lexical", "chunk_rank", "matched_terms", "question_terms")),
            float(len(screened)), float(rows[:, column["coverage"]].max()), float(rows[:, column["chunk_dense"]].max()),
            float(best[column["follow_up"]])]


def reading_text(candidate: "Candidate") -> str:
    """What the cross-encoder reads beside the question: the sentence, then where it stands (its order's title and
    its section), which a question often names ("Truman's 1950 order on …"); truncation cuts the context first."""
    from assistant.extractive import display_text

    where = candidate.chunk.title[:120] + (f" > {candidate.section}" if candidate.section else "")
    return f"{display_text(candidate.text)} | {where}"


class CrossEncoder:
    """The fine-tuned MiniLM cross-encoder (int8 ONNX): reads the question and a sentence together and gives a logit
    for "this sentence answers it". Runs on ONNX Runtime, so answering never imports torch."""

    def __init__(self, path: Path, max_tokens: int = 128) -> None:
        self.path = path
        self.max_tokens = max_tokens

    @cached_property
    def _tokenizer(self):
        from tokenizers import Tokenizer

        from vectorstore.embeddings import bundled_model_path

        tokenizer = Tokenizer.from_file(str(bundled_model_path() / "tokenizer.json"))
        tokenizer.enable_truncation(max_length=self.max_tokens, strategy="only_second")
        tokenizer.no_padding()  # the file pads to 128 tokens, which would count in the activations' int8 scale
        return tokenizer

    @cached_property
    def _workers(self) -> int:
        import os

        return max(1, min(os.cpu_count() or 1, 8))

    @cached_property
    def _session(self):
        import onnxruntime as ort

        options = ort.SessionOptions()
        # one thread per pair, the pairs side by side (`_pair_pool`): a pair of ~80 tokens is too small to share
        # out well within (on 2 cores, 6 pairs: 45 ms with 2 threads per pair, 30 ms with 2 pairs at once, the same
        # scores), and a pool whose threads spin waiting for work would starve the query embedder's on a small CPU
        options.intra_op_num_threads = 1
        options.log_severity_level = 3
        return ort.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])

    @staticmethod
    def _logit(session, encoding) -> float:
        feed = {"input_ids": np.array([encoding.ids], dtype=np.int64),
                "attention_mask": np.array([encoding.attention_mask], dtype=np.int64),
                "token_type_ids": np.array([encoding.type_ids], dtype=np.int64)}
        return float(session.run(None, feed)[0].reshape(-1)[0])

    def logits(self, question: str, texts: Sequence[str]) -> np.ndarray:
        """One logit per text. Each pair runs on its own, unpadded: int8 dynamic quantisation scales activations over
        the whole batch, padding included, so in a batch a sentence's score depended on its neighbours (validation,
        the best of the screen's 6 is gold: batched 0.599, alone 0.613, fp32 0.615)."""
        encodings = self._tokenizer.encode_batch([(question, t) for t in texts])
        logit = partial(self._logit, self._session)  # the session is loaded once, before the pool reads it
        pool = _pair_pool(self._workers) if self._workers > 1 and len(encodings) > 1 else None
        return np.array(list(pool.map(logit, encodings)) if pool else [logit(e) for e in encodings], dtype=np.float32)


@cache
def _pair_pool(workers: int):
    """The threads that read a question's pairs side by side: one pool for the process, however many readers."""
    from concurrent.futures import ThreadPoolExecutor

    return ThreadPoolExecutor(workers, thread_name_prefix="policyqa-reader")


def blend(screen_probability: np.ndarray, logits: np.ndarray, weight: float) -> np.ndarray:
    """The answer probability: the screen's and the cross-encoder's, mixed by the weight tuned on validation."""
    return (1 - weight) * screen_probability + weight / (1 + np.exp(-logits))


def trees_from_lightgbm(dump: dict) -> dict[str, np.ndarray]:
    """A binary LightGBM model (`Booster.dump_model()`) as flat arrays that `TreeEnsemble` evaluates with numpy alone:
    internal nodes are numbered from 0 across all trees, leaves are -(leaf number + 1)."""
    if not dump["objective"].startswith("binary") or dump["num_tree_per_iteration"] != 1:
        raise ValueError(f"only binary models are supported, not {dump['objective']!r}")
    feature, threshold, left, right, leaves, roots = [], [], [], [], [], []

    def add(node: dict) -> int:
        if "leaf_value" in node:
            leaves.append(node["leaf_value"])
            return -len(leaves)
        if node["decision_type"] != "<=" or node["missing_type"] not in ("None",):
            raise ValueError(f"unsupported split: {node['decision_type']} with missing type {node['missing_type']}")
        index = len(feature)
        feature.append(node["split_feature"])
        threshold.append(node["threshold"])
        left.append(0)
        right.append(0)
        left[index] = add(node["left_child"])
        right[index] = add(node["right_child"])
        return index

    for tree in dump["tree_info"]:
        roots.append(add(tree["tree_structure"]))
    return {"feature": np.array(feature, np.int64), "threshold": np.array(threshold, np.float64),
            "left": np.array(left, np.int64), "right": np.array(right, np.int64),
            "leaf_value": np.array(leaves, np.float64), "roots": np.array(roots, np.int64),
            "width": np.array(dump["max_feature_idx"] + 1, np.int64)}


class TreeEnsemble:
    """Evaluates an exported LightGBM binary model with numpy: the same probabilities as `Booster.predict` (tested),
    without importing LightGBM, which takes a second at start-up (it imports scikit-learn)."""

    def __init__(self, arrays) -> None:
        self.feature, self.threshold = arrays["feature"], arrays["threshold"]
        self.left, self.right = arrays["left"], arrays["right"]
        self.leaf_value, self.roots = arrays["leaf_value"], arrays["roots"]
        self.width = int(arrays["width"]) if "width" in arrays else None

    def predict(self, rows: np.ndarray) -> np.ndarray:
        x = np.nan_to_num(np.asarray(rows, dtype=np.float64), nan=0.0)  # missing type "None": NaN reads as 0
        width = x.shape[1]
        if self.width is not None and width != self.width:
            # rows of another feature list would be read column by column all the same, and silently wrong
            raise ValueError(f"rows have {width} features; this model was trained on {self.width}")
        flat = x.reshape(-1)
        node = np.tile(self.roots, len(x))  # one walker per (row, tree), row-major
        base = np.repeat(np.arange(len(x)) * width, len(self.roots))
        active = np.flatnonzero(node >= 0)
        while len(active):
            at = node[active]
            go_left = flat[base[active] + self.feature[at]] <= self.threshold[at]
            node[active] = np.where(go_left, self.left[at], self.right[at])
            active = active[node[active] >= 0]
        raw = self.leaf_value[-node - 1].reshape(len(x), len(self.roots)).sum(axis=1)
        return 1.0 / (1.0 + np.exp(-raw))


class ReaderModel:
    """The shipped screen and cross-encoder with their settings (`meta.json`); each loads on first use."""

    def __init__(self, directory: Path = MODEL_DIR) -> None:
        self.directory = directory

    @cached_property
    def meta(self) -> dict:
        return json.loads((self.directory / "meta.json").read_text())

    @cached_property
    def screen(self) -> TreeEnsemble:
        with np.load(self.directory / "screen.npz") as arrays:
            return TreeEnsemble(dict(arrays))

    @cached_property
    def cross_encoder(self) -> CrossEncoder:
        return CrossEncoder(self.directory / "cross_encoder.onnx")

    @cached_property
    def answerability(self) -> TreeEnsemble:
        with np.load(self.directory / "answerability.npz") as arrays:
            return TreeEnsemble(dict(arrays))

    @property
    def available(self) -> bool:
        return all((self.directory / name).is_file()
                   for name in ("meta.json", "screen.npz", "cross_encoder.onnx", "answerability.npz"))

    def rank(self, question: QuestionAnalysis, candidates: Sequence["Candidate"], idf, is_boilerplate,
             document_length) -> tuple[list[tuple["Candidate", float]], float]:
        """The screen's best few candidates with their blended probability that each answers, best first, and the
        probability that the passages answer the question at all (the answerability model)."""
        if not candidates:
            return [], 0.0
        rows = features(question, candidates, idf, is_boilerplate, document_length)
        screened = self.screen.predict(rows)
        order = np.argsort(-screened)
        if question.about_two_documents:
            # the screen's best few of each of the two documents it rates highest, the same number of passes
            per_document = int(self.meta["shortlist"]) // TWO_DOCUMENTS
            documents = list(dict.fromkeys(candidates[i].chunk.source for i in order))[:TWO_DOCUMENTS]
            shortlist = np.array([i for source in documents
                                  for i in [j for j in order if candidates[j].chunk.source == source][:per_document]])
        else:
            shortlist = order[: int(self.meta["shortlist"])]
        logits = self.cross_encoder.logits(question.reading, [reading_text(candidates[i]) for i in shortlist])
        probability = blend(screened[shortlist], logits, float(self.meta["cross_encoder_weight"]))
        answerable = self.answerability.predict(
            np.array([answerability_features(rows, screened, shortlist, logits, probability)]))[0]
        return [(candidates[shortlist[i]], float(probability[i])) for i in np.argsort(-probability)], float(answerable)


def best_of_each_document(ranked: Sequence[tuple[str, float]], documents: int) -> list[int]:
    """For a question about several documents: the best-rated candidate (source, probability) of each of the
    `documents` documents whose best is rated highest, in that order."""
    best: dict[str, int] = {}
    for index, (source, p) in enumerate(ranked):
        if source not in best or p > ranked[best[source]][1]:
            best[source] = index
    return sorted(best.values(), key=lambda i: -ranked[i][1])[:documents]


def choose_quotes(ranked: Sequence[tuple[str, int, int, int, float]], meta: dict) -> list[int]:
    """Which of the ranked candidates (source, start, end, words, probability; best first) to quote: the best, then
    those the reader rates nearly as likely (a ratio for the same document, another for other documents), within
    the sentence and word budgets, none overlapping another. The training script tunes with this same function."""
    best_p = ranked[0][4]
    chosen, words = [0], ranked[0][3]
    for index, (source, start, end, length, p) in enumerate(ranked[1:], start=1):
        if len(chosen) >= meta["max_sentences"]:
            break
        same = any(ranked[i][0] == source for i in chosen)
        ratio = meta["same_document_ratio"] if same else meta["other_document_ratio"]
        if p < ratio * best_p or words + length > meta["max_words"]:
            continue
        if any(ranked[i][0] == source and start < ranked[i][2] and ranked[i][1] < end for i in chosen):
            continue
        chosen.append(index)
        words += length
    return chosen


class ReaderAnswerer:
    """Answers from the reader's ranking: the best candidate, then the next ones the reader rates nearly as
    likely to answer (another document's at its own ratio, for questions about two orders), within the word
    budget; a refusal when the answerability model finds the passages unlikely to answer at all."""

    def __init__(self, candidate_finder, idf, is_boilerplate, document_text, model: ReaderModel | None = None,
                 refusal_threshold: float | None = None) -> None:
        self.candidate_finder = candidate_finder
        self.idf = idf
        self.is_boilerplate = is_boilerplate
        self.document_text = document_text
        self.model = model or ReaderModel()
        self.refusal_threshold = refusal_threshold

    def document_length(self, source: str) -> int:
        text = self.document_text(source)
        return len(text) if text else 1

    def ranked(self, question: QuestionAnalysis, candidates) -> tuple[list[tuple["Candidate", float]], float]:
        return self.model.rank(question, candidates, self.idf, self.is_boilerplate, self.document_length)

    def choose(self, ranked: list[tuple["Candidate", float]]) -> list["Candidate"]:
        picks = choose_quotes([(c.chunk.source, c.start, c.end, c.words, p) for c, p in ranked], self.model.meta)
        return [ranked[i][0] for i in picks]

    def answer(self, question: QuestionAnalysis, passages):
        from assistant.extractive import refusal

        candidates = self.candidate_finder.candidates(passages)
        threshold = self.model.meta["answerable_threshold"] if self.refusal_threshold is None else self.refusal_threshold
        if question.parts and not question.about_two_documents:
            return self.answer_in_parts(question, passages, candidates, threshold)
        ranked, answerable = self.ranked(question, candidates)
        if not ranked or answerable < threshold:
            return refusal(question.question, passages)
        if question.about_two_documents:
            chosen = self.choose_per_document(ranked)
        else:
            chosen = self.choose(ranked)
        scores = {id(c): p for c, p in ranked}
        for candidate in chosen:
            candidate.score = scores[id(candidate)]
        return self.quoted(question, chosen)

    def choose_per_document(self, ranked: list[tuple["Candidate", float]]) -> list["Candidate"]:
        """For a question about two documents: in each of the two whose best candidate is rated highest, the best
        candidate and, as `choose` picks them, one more nearly as likely (PER_DOCUMENT_CHOICE): such a question
        often asks two things of each."""
        chosen = []
        for best in best_of_each_document([(c.chunk.source, p) for c, p in ranked], TWO_DOCUMENTS):
            source = ranked[best][0].chunk.source
            of_document = [(c, p) for c, p in ranked if c.chunk.source == source]
            picks = choose_quotes([(c.chunk.source, c.start, c.end, c.words, p) for c, p in of_document],
                                  {**self.model.meta, **PER_DOCUMENT_CHOICE})
            chosen += [of_document[i][0] for i in picks]
        return chosen

    def answer_in_parts(self, question: QuestionAnalysis, passages, candidates, threshold: float):
        """A question that asks several things: the reader's best sentence for each part (a later part read as a
        follow-up of the whole question) that the passages are likely to answer, each quoted once; a refusal when
        none is."""
        from assistant.extractive import refusal

        chosen: list["Candidate"] = []
        for part in question.part_analyses():
            ranked, answerable = self.ranked(part, candidates)
            if answerable < threshold:
                continue
            for candidate, p in ranked:
                if not any(c.chunk.source == candidate.chunk.source and candidate.start < c.end and c.start < candidate.end
                           for c in chosen):
                    candidate.score = p
                    chosen.append(candidate)
                    break
        if not chosen:
            return refusal(question.question, passages)
        return self.quoted(question, chosen)

    def quoted(self, question: QuestionAnalysis, chosen: list["Candidate"]):
        """The answer quoting the chosen candidates in retrieval order, each with its lead and run on within the
        word budget."""
        from assistant.extractive import quoted_answer

        chosen.sort(key=lambda c: (c.chunk_rank, c.chunk.source, c.start))
        return quoted_answer(question.question, self.extended(self.with_leads(chosen), question.asks))

    def with_leads(self, chosen: list["Candidate"]) -> list[tuple["Candidate", int, int, str]]:
        """The spans to quote: each chosen candidate, preceded by what it needs to be read alone (the opening of
        its long sentence, or its list's introduction) while the answer stays within the word budget, so that no
        quote starts with a dangling "(c)" or "as modified by ..."."""
        budget = self.model.meta["max_words"]
        words = sum(c.words for c in chosen)
        quotes = []
        for candidate in chosen:
            lead = candidate.lead
            text = self.document_text(candidate.chunk.source) if lead else None
            if lead and text is not None:
                lead_words = len(text[lead[0]:lead[1]].split())
                taken = any(c is not candidate and c.chunk.source == candidate.chunk.source and c.start < lead[1]
                            and lead[0] < c.end for c in chosen) or any(
                    q[0].chunk.source == candidate.chunk.source and q[1] <= lead[0] < q[2] for q in quotes)
                if not taken and words + lead_words <= budget:
                    words += lead_words
                    if lead[1] >= candidate.start:  # the opening runs into the window: one quote from the opening on
                        quotes.append((candidate, lead[0], candidate.end, text[lead[0]:candidate.end]))
                        continue
                    quotes.append((candidate, lead[0], lead[1], text[lead[0]:lead[1]]))
            quotes.append((candidate, candidate.start, candidate.end, candidate.text))
        return quotes

    def extended(self, quotes: list[tuple["Candidate", int, int, str]],
                 asks: frozenset[str] = frozenset()) -> list[tuple["Candidate", int, int, str]]:
        """Each quote that stops inside its sentence runs on through the sentence's later windows and items while
        the answer stays within EXTENDED_ANSWER_WORDS (LIST_ANSWER_WORDS for a question that `asks` for a list):
        the rest of a list or of a long clause, which the window the reader chose often cuts off."""
        limit = LIST_ANSWER_WORDS if "list" in asks else EXTENDED_ANSWER_WORDS
        words = sum(len(quote.split()) for *_, quote in quotes)
        out = []
        for index, (candidate, start, end, quote) in enumerate(quotes):
            others = [q for i, q in enumerate(quotes) if i != index and q[0].chunk.source == candidate.chunk.source]
            text = self.document_text(candidate.chunk.source) if candidate.ends and end == candidate.end else None
            if text is not None:
                for new_end in candidate.ends:
                    if any(end <= q[1] < new_end for q in others):
                        break
                    extra = len(text[end:new_end].split())
                    if words + extra > limit:
                        break
                    words += extra
                    end = new_end
                quote = text[start:end]
            out.append((candidate, start, end, quote))
        return out
