"""Benchmark policyqa against the plain LangChain tutorial pipeline on the same corpus.

One run of this script measures, on the same corpus and the same machine:

  policyqa  fresh store in a work folder -> assistant.ingest([CORPUS, *EXTRA]) timed; then a
            second ingest of the unchanged corpus with a freshly built assistant (the no-op
            re-ingest); then warm query latency (assistant.ask) and, with --questions, the
            evaluation metrics.
  baseline  benchmarks/baseline.py (RecursiveCharacterTextSplitter 1000/200 + the same bundled
            all-MiniLM-L6-v2 via HuggingFaceEmbeddings + Chroma.from_documents +
            similarity_search_with_score k=5) on the same files, timed the same way.

Each pipeline runs in its own fresh child process (this script re-invoked with a hidden
--phase flag), one after the other, so the peak RSS of each is measured separately: the
child's own high-water mark (getrusage RUSAGE_SELF ru_maxrss) read right after its ingest,
cross-checked by psutil sampling of the child and any processes it starts. The parent only
prints the tables.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Sequence

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

PIPELINES = ("policyqa", "baseline")
MB = 1_000_000

# Used for the latency measurement when no --questions file is given.
DEFAULT_QUESTIONS = [
    "What tariff rate does the reciprocal tariff order impose?",
    "Which executive order concerns critical minerals production?",
    "What does the order say about the national energy emergency?",
    "Which agencies must report to the President, and by when?",
    "What is the effective date of the tariffs on imports from Canada and Mexico?",
    "How does the order define artificial intelligence?",
    "What does the order direct the Secretary of Commerce to do?",
    "Which products are exempt from the additional duties?",
    "What policy does the order set on federal workforce hiring?",
    "What reasons does the order give for declaring an emergency?",
]

METRICS = [
    "hit@1",
    "hit@5",
    "mrr@10",
    "keyword_accuracy",
    "median_answer_words",
    "evidence_recall",
    "citation_precision",
    "citation_validity",
    "refusal_recall",
    "false_refusal_rate",
]


# ---------------------------------------------------------------------------- helpers


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default method)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * pct / 100.0
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def disk_usage(path: Path) -> int:
    """Bytes a folder takes on disk, as `du` counts them (allocated blocks, hard links once)."""
    total, seen = 0, set()
    path = Path(path)
    if not path.exists():
        return 0
    for dirpath, _dirnames, filenames in os.walk(path):
        for name in [None, *filenames]:
            full = dirpath if name is None else os.path.join(dirpath, name)
            try:
                st = os.lstat(full)
            except OSError:
                continue
            if (st.st_dev, st.st_ino) in seen:
                continue
            seen.add((st.st_dev, st.st_ino))
            total += st.st_blocks * 512
    return total


def ru_maxrss_bytes() -> int:
    """This process's peak RSS so far (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024


class RssSampler:
    """Samples the RSS of this process plus its descendants every `interval` seconds."""

    def __init__(self, interval: float = 0.05) -> None:
        import psutil

        self.process = psutil.Process()
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def _sample(self) -> int:
        import psutil

        total = 0
        try:
            total += self.process.memory_info().rss
            for child in self.process.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
        except psutil.Error:
            pass
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            self._stop.wait(self.interval)

    def __enter__(self) -> "RssSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._sample())


def cpu_seconds() -> float:
    """User + system CPU time of this process so far (all its threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def load_average() -> float | None:
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def machine_info() -> dict:
    import psutil

    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.lower().startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        affinity = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        affinity = os.cpu_count()
    return {
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "host": platform.node(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "cpu_model": model,
        "logical_cores": os.cpu_count(),
        "physical_cores": psutil.cpu_count(logical=False),
        "usable_cores": affinity,
        "ram_bytes": psutil.virtual_memory().total,
    }


def questions_for_latency(questions: list) -> list[tuple[str, list]]:
    if questions:
        return [(q.question, list(q.history)) for q in questions]
    return [(q, []) for q in DEFAULT_QUESTIONS]


def timed_queries(ask: Callable[[str, list], Any], pool: list[tuple[str, list]], n: int) -> list[float]:
    """One warm-up query, then n queries cycling through the pool; wall-clock ms of each."""
    ask(*pool[0])
    latencies = []
    for index in range(n):
        question, history = pool[index % len(pool)]
        started = time.perf_counter()
        ask(question, history)
        latencies.append((time.perf_counter() - started) * 1000)
    return latencies


def write_jsonl(path: Path, records: Sequence[dict]) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------------------- the phases (child processes)


def phase_policyqa(args: argparse.Namespace, work: Path) -> dict:
    from assistant.core import build_assistant
    from assistant.evaluation import compute_summary, load_questions
    from assistant.settings import load_settings

    paths = [Path(args.corpus), *[Path(p) for p in args.extra]]
    store = work / "policyqa-store"
    collection = f"bench-{uuid.uuid4().hex[:12]}" if args.chroma_url else None
    settings = load_settings(store=store, chroma_url=args.chroma_url, collection=collection)
    questions = load_questions(Path(args.questions)) if args.questions else []
    result: dict[str, Any] = {
        "pipeline": "policyqa",
        "store_dir": str(store),
        "chroma": args.chroma_url or "embedded",
        "settings": {
            key: getattr(settings, key)
            for key in ("embedding_dtype", "embedding_batch_size", "chunk_tokens", "top_k", "answer_mode")
        },
    }

    rss_start = ru_maxrss_bytes()
    log(f"policyqa: ingesting {', '.join(map(str, paths))} into {store}")
    assistant = build_assistant(settings)
    load_before, cpu_before = load_average(), cpu_seconds()
    with RssSampler() as sampler:
        started = time.perf_counter()
        report = assistant.ingest(paths, progress=False)
        seconds = time.perf_counter() - started
    result["ingest_cpu_seconds"] = cpu_seconds() - cpu_before
    result["load_average"] = [load_before, load_average()]
    result["peak_rss_bytes"] = max(ru_maxrss_bytes(), sampler.peak)
    result["rss_before_ingest_bytes"] = rss_start
    result["ingest_seconds"] = seconds
    result["files"] = len(report.added) + len(report.updated)
    result["failed"] = [{"source": f.source, "reason": f.reason} for f in report.failed]
    result["chunks"] = report.chunks_written
    result["chunks_embedded"] = report.chunks_embedded
    documents = assistant.documents()
    result["documents"] = len(documents)
    result["text_bytes"] = sum(len((assistant.document_text(d.source) or "").encode("utf-8")) for d in documents)
    result["store_bytes"] = disk_usage(store)
    assistant.close()
    log(f"policyqa: {report.summary_line()}")

    log("policyqa: re-ingesting the unchanged corpus with a freshly built assistant")
    assistant = build_assistant(settings)
    started = time.perf_counter()
    again = assistant.ingest(paths, progress=False)
    result["reingest_seconds"] = time.perf_counter() - started
    result["reingest"] = {
        "added": len(again.added),
        "updated": len(again.updated),
        "unchanged": len(again.unchanged),
        "chunks_embedded": again.chunks_embedded,
    }

    try:
        log(f"policyqa: warm-up, then {args.queries} timed queries")
        assistant.warm_up()
        ask = lambda question, history: assistant.ask(question, history)  # noqa: E731
        result["latencies_ms"] = timed_queries(ask, questions_for_latency(questions), args.queries)

        if questions:
            log(f"policyqa: scoring {len(questions)} questions")
            results = []
            for q in questions:
                record = assistant.ask(q.question, q.history).to_json()
                record["id"] = q.id
                results.append(record)
            write_jsonl(work / "results_policyqa.jsonl", results)
            result["summary"] = compute_summary(questions, results, assistant.document_text)
    finally:
        if args.chroma_url:
            try:
                assistant.store.client.delete_collection(collection)
            except Exception as exc:  # cleanup only
                log(f"policyqa: could not delete server collection {collection}: {exc}")
        assistant.close()
    return result


def phase_baseline(args: argparse.Namespace, work: Path) -> dict:
    from assistant.evaluation import compute_summary, load_questions
    from benchmarks.baseline import BaselinePipeline

    paths = [Path(args.corpus), *[Path(p) for p in args.extra]]
    store = work / "baseline-store"
    questions = load_questions(Path(args.questions)) if args.questions else []
    result: dict[str, Any] = {"pipeline": "baseline", "store_dir": str(store), "chroma": "embedded"}

    rss_start = ru_maxrss_bytes()
    log(f"baseline: ingesting {', '.join(map(str, paths))} into {store}")
    pipeline = BaselinePipeline(store)
    load_before, cpu_before = load_average(), cpu_seconds()
    with RssSampler() as sampler:
        report = pipeline.ingest(paths)
    result["ingest_cpu_seconds"] = cpu_seconds() - cpu_before
    result["load_average"] = [load_before, load_average()]
    result["peak_rss_bytes"] = max(ru_maxrss_bytes(), sampler.peak)
    result["rss_before_ingest_bytes"] = rss_start
    result["ingest_seconds"] = report.seconds
    result["files"] = report.documents
    result["documents"] = report.documents
    result["failed"] = []
    result["chunks"] = report.chunks
    result["chunks_embedded"] = report.chunks
    result["text_bytes"] = report.text_bytes
    result["store_bytes"] = disk_usage(store)
    log(f"baseline: {report.documents} documents, {report.chunks} chunks in {report.seconds:.1f}s")

    log(f"baseline: warm-up, then {args.queries} timed queries")
    ask = lambda question, history: pipeline.answer(question)  # noqa: E731  (the tutorial has no history)
    result["latencies_ms"] = timed_queries(ask, questions_for_latency(questions), args.queries)

    if questions:
        log(f"baseline: scoring {len(questions)} questions")
        results = []
        for q in questions:
            record = pipeline.answer(q.question)
            record["id"] = q.id
            results.append(record)
        write_jsonl(work / "results_baseline.jsonl", results)
        result["summary"] = compute_summary(questions, results, pipeline.document_text)
    return result


def run_phase(args: argparse.Namespace) -> int:
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    result = (phase_policyqa if args.phase == "policyqa" else phase_baseline)(args, work)
    Path(args.phase_out).write_text(json.dumps(result, default=str), encoding="utf-8")
    return 0


def spawn_phase(name: str, args: argparse.Namespace, work: Path) -> dict:
    """Run one pipeline in a fresh interpreter (this script with --phase) and read its JSON result."""
    out = work / f"phase_{name}.json"
    command = [sys.executable, str(Path(__file__).resolve()), str(args.corpus), "--queries", str(args.queries)]
    command += ["--work", str(work), "--phase", name, "--phase-out", str(out)]
    if args.questions:
        command += ["--questions", str(args.questions)]
    for extra in args.extra:
        command += ["--extra", str(extra)]
    if args.chroma_url:
        command += ["--chroma-url", args.chroma_url]
    completed = subprocess.run(command, cwd=os.getcwd())
    if completed.returncode != 0 or not out.is_file():
        raise SystemExit(f"error: the {name} phase failed (exit code {completed.returncode}); see its output above")
    return json.loads(out.read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------- report


def derived(result: dict) -> dict:
    """The table's figures for one pipeline."""
    seconds = result["ingest_seconds"]
    text_mb = result["text_bytes"] / MB
    latencies = result.get("latencies_ms") or []
    return {
        "documents": result["documents"],
        "text_mb": text_mb,
        "chunks": result["chunks"],
        "ingest_s": seconds,
        "ingest_cpu_s": result.get("ingest_cpu_seconds"),
        "chunks_per_s": result["chunks"] / seconds if seconds else None,
        "mb_per_min": text_mb / (seconds / 60) if seconds else None,
        "peak_rss_mb": result["peak_rss_bytes"] / MB,
        "store_mb": result["store_bytes"] / MB,
        "reingest_s": result.get("reingest_seconds"),
        "query_p50_ms": percentile(latencies, 50),
        "query_p95_ms": percentile(latencies, 95),
    }


ROWS = [
    ("documents", "documents", "{:.0f}"),
    ("text_mb", "text (MB, UTF-8)", "{:.2f}"),
    ("chunks", "chunks", "{:.0f}"),
    ("ingest_s", "ingest (s)", "{:.1f}"),
    ("ingest_cpu_s", "ingest CPU time (s)", "{:.1f}"),
    ("chunks_per_s", "chunks/s", "{:.1f}"),
    ("mb_per_min", "MB/min", "{:.2f}"),
    ("peak_rss_mb", "peak RSS during ingest (MB)", "{:.0f}"),
    ("store_mb", "store on disk (MB)", "{:.1f}"),
    ("reingest_s", "no-op re-ingest (s)", "{:.3f}"),
    ("query_p50_ms", "query p50 (ms)", "{:.1f}"),
    ("query_p95_ms", "query p95 (ms)", "{:.1f}"),
]


def fmt(value: Any, pattern: str = "{:.4g}") -> str:
    if value is None:
        return "—"
    if isinstance(value, float) and value != value:
        return "—"
    return pattern.format(value)


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for n, row in enumerate([header, *rows]):
        cells = [str(c).ljust(widths[0]) if i == 0 else str(c).rjust(widths[i]) for i, c in enumerate(row)]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def ratio(a: Any, b: Any) -> float | None:
    if a is None or b is None or not b:
        return None
    return a / b


def print_report(machine: dict, args: argparse.Namespace, results: dict[str, dict]) -> dict:
    figures = {name: derived(result) for name, result in results.items()}
    both = all(name in figures for name in PIPELINES)
    names = [name for name in PIPELINES if name in figures]

    header = ["", *names] + (["policyqa / baseline"] if both else [])
    rows = []
    ratios = {}
    for key, label, pattern in ROWS:
        row = [label, *[fmt(figures[n][key], pattern) for n in names]]
        if both:
            ratios[key] = ratio(figures["policyqa"][key], figures["baseline"][key])
            row.append(fmt(ratios[key], "{:.2f}x"))
        rows.append(row)
    print()
    print("Ingest and query performance")
    print(table(header, rows))
    notes = []
    if "policyqa" in results:
        r = results["policyqa"]
        again = r.get("reingest") or {}
        notes.append(
            f"policyqa: {r['files']} files ingested ({len(r['failed'])} failed), {r['chunks_embedded']} chunks embedded; "
            f"re-ingest: {again.get('unchanged')} unchanged, {again.get('added', 0) + again.get('updated', 0)} re-processed, "
            f"{again.get('chunks_embedded')} chunks embedded; chroma: {r['chroma']}; settings: "
            + ", ".join(f"{k}={v}" for k, v in r.get("settings", {}).items())
        )
        if args.chroma_url:
            notes.append("policyqa store size excludes the Chroma server's data; peak RSS excludes the server process")
        for failure in r["failed"][:10]:
            notes.append(f"policyqa failed: {failure['source']}: {failure['reason']}")
    notes.append(
        f"latency: {args.queries} queries after one warm-up, cycling through "
        + (f"the {Path(args.questions).name} questions" if args.questions else "built-in questions")
        + ("; the baseline has no re-ingest (the tutorial re-embeds everything) and ignores conversation history"
           if "baseline" in results else "")
    )
    notes.append(
        "ingest seconds include loading the embedding model; peak RSS is each pipeline's own fresh child process "
        "(ru_maxrss read right after its ingest, psutil-sampled as a cross-check)"
    )
    loads = []
    for name in names:
        before, after = results[name].get("load_average") or [None, None]
        if before is not None:
            loads.append(f"{name} {before:.1f} -> {after:.1f}")
    if loads:
        busy = any(max(results[n]["load_average"]) > (machine.get("usable_cores") or 1) + 0.5 for n in names if results[n].get("load_average"))
        notes.append(
            "1-min load average at the start -> end of each ingest: " + ", ".join(loads)
            + (" — the machine was busy with other work, so wall-clock figures are inflated; "
               "compare the CPU times" if busy else "")
        )
    print("\n".join(f"  * {note}" for note in notes))

    summaries = {name: results[name].get("summary") for name in names if results[name].get("summary")}
    if summaries:
        header = ["metric", *summaries] + (["policyqa − baseline"] if len(summaries) == 2 else [])
        rows = []
        for metric in METRICS:
            values = [summaries[n]["overall"].get(metric) for n in summaries]
            pattern = "{:.0f}" if metric == "median_answer_words" else "{:.3f}"
            row = [metric, *[fmt(v, pattern) for v in values]]
            if len(summaries) == 2:
                delta = None if None in values else values[0] - values[1]
                row.append(fmt(delta, "{:+.0f}" if metric == "median_answer_words" else "{:+.3f}"))
            rows.append(row)
        n_questions = next(iter(summaries.values()))["overall"].get("n_questions")
        print()
        print(f"Answer quality on {Path(args.questions).name} ({n_questions} questions, assistant.evaluation.compute_summary)")
        print(table(header, rows))
        print(
            "  * baseline: the top chunk is its answer and its one citation; refused is always false; "
            "citation validity checked against its own loaded text"
        )

    return {
        "machine": machine,
        "corpus": str(args.corpus),
        "extra": [str(p) for p in args.extra],
        "questions": str(args.questions) if args.questions else None,
        "queries": args.queries,
        "figures": figures,
        "ratios_policyqa_over_baseline": ratios if both else None,
        "metrics": {name: summary for name, summary in summaries.items()},
        "raw": results,
    }


def print_machine(machine: dict, args: argparse.Namespace) -> None:
    print(f"policyqa benchmark — {machine['date']}")
    print(
        f"machine: {machine['cpu_model']}; {machine['logical_cores']} logical cores "
        f"({machine['physical_cores']} physical, {machine['usable_cores']} usable); "
        f"RAM {machine['ram_bytes'] / 2**30:.1f} GiB; {machine['os']}; Python {machine['python']}"
    )
    print(f"corpus: {args.corpus}" + (f" + {', '.join(map(str, args.extra))}" if args.extra else ""))
    if args.questions:
        print(f"questions: {args.questions}")
    sys.stdout.flush()


# ---------------------------------------------------------------------------- CLI


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run_benchmark.py",
        description=(
            "Benchmark policyqa against the plain LangChain tutorial pipeline (benchmarks/baseline.py) on one "
            "corpus: ingest time, chunks/s, MB/min, peak RSS during ingest, store size on disk, the no-op "
            "re-ingest (policyqa), warm query latency p50/p95 and, with --questions, answer-quality metrics "
            "computed by the same code for both. Each pipeline runs in its own fresh child process, one after "
            "the other, so their peak RSS figures are separate and comparable."
        ),
        epilog=(
            "examples:\n"
            "  python benchmarks/run_benchmark.py /work/shared/corpus/policy \\\n"
            "      --questions /work/shared/eval/dev_questions.jsonl --queries 50 --json bench.json\n"
            "  mkdir -p /tmp/eo && tar -xzf /work/shared/corpus/eo_full.tar.gz -C /tmp/eo\n"
            "  python benchmarks/run_benchmark.py /tmp/eo --extra /work/shared/corpus/policy/seed_india_russia.txt \\\n"
            "      --questions /work/shared/eval/dev_questions_full.jsonl\n"
            "See benchmarks/README.md."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("corpus", type=Path, help="folder of documents to ingest (sources are paths relative to it)")
    parser.add_argument(
        "--questions",
        type=Path,
        metavar="FILE",
        help="evaluation JSONL (DESIGN.md format): its questions drive the latency runs and both pipelines are "
        "scored on it (hit@k, mrr, keyword accuracy, evidence recall, citation precision/validity, refusals)",
    )
    parser.add_argument(
        "--extra",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="an extra file ingested along with the corpus by both pipelines (source = its file name); repeatable",
    )
    parser.add_argument(
        "--queries", type=int, default=50, metavar="N",
        help="timed queries per pipeline, after one warm-up query, cycling through the questions (default: 50)",
    )
    parser.add_argument("--only", choices=PIPELINES, help="run only this pipeline (no ratios)")
    parser.add_argument(
        "--chroma-url", metavar="URL",
        help="run policyqa against this Chroma server (a fresh collection, deleted afterwards) instead of embedded",
    )
    parser.add_argument(
        "--work", type=Path, metavar="DIR",
        help="keep the stores, per-question results and phase outputs in a new run-* folder under DIR "
        "(default: a temporary folder, deleted at the end)",
    )
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write every figure as JSON to OUT")
    parser.add_argument("--phase", choices=PIPELINES, help=argparse.SUPPRESS)
    parser.add_argument("--phase-out", type=Path, help=argparse.SUPPRESS)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.phase:
        return run_phase(args)

    if not args.corpus.is_dir():
        parser.error(f"corpus folder not found: {args.corpus}")
    for path in [*args.extra, *([args.questions] if args.questions else [])]:
        if not path.is_file():
            parser.error(f"file not found: {path}")
    if args.queries < 1:
        parser.error("--queries must be at least 1")
    if args.questions:
        from assistant.evaluation import load_questions

        try:
            load_questions(args.questions)
        except ValueError as exc:
            parser.error(str(exc))
    args.corpus = args.corpus.resolve()
    args.extra = [p.resolve() for p in args.extra]
    args.questions = args.questions.resolve() if args.questions else None

    machine = machine_info()
    print_machine(machine, args)

    if args.work:
        work = args.work.resolve() / f"run-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:4]}"
        work.mkdir(parents=True)
        cleanup = False
    else:
        work = Path(tempfile.mkdtemp(prefix="policyqa-bench-"))
        cleanup = True
    try:
        results = {}
        for name in PIPELINES:
            if args.only and name != args.only:
                continue
            results[name] = spawn_phase(name, args, work)
        report = print_report(machine, args, results)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
            print(f"\nJSON written to {args.json}")
        if not cleanup:
            print(f"stores and per-question results kept in {work}")
    finally:
        if cleanup:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
