"""The `policyqa` command line. Each command imports only what it needs, so `ask` starts fast."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Sequence

EXAMPLES = """\
examples:
  policyqa ingest data/demo_corpus                 ingest a folder (incremental: unchanged files are skipped)
  policyqa ingest ~/orders --prune                 also drop documents whose files are gone
  policyqa ask "Why did the President declare a national emergency over the trade deficit?"
  policyqa ask --json "What rate applies to Chinese goods?"
  policyqa docs                                     list what is ingested
  policyqa remove eo2025/04-April/2025-04-02-executive-order-14257.md
  policyqa history 14257                           what an order amends or revokes, and what later changed it
  policyqa check --repair                          verify the store, and fix what a killed run left behind
  policyqa eval questions.jsonl --out runs/dev      batch evaluation with a report
  policyqa serve                                    the chat UI on http://127.0.0.1:7860

The store defaults to $POLICYQA_STORE, else ./.policyqa. Settings also come from POLICYQA_* env vars
and an optional policyqa.toml (or the file named by $POLICYQA_CONFIG).
"""


class CliError(Exception):
    """An error to print as one line on stderr with a non-zero exit."""


class SuggestingParser(argparse.ArgumentParser):
    """An argument parser whose errors suggest what was probably meant: `ask --jsn` -> "did you mean --json?",
    `policyqa ingets` -> "did you mean ingest?"."""

    def error(self, message: str):
        import difflib

        if message.startswith("unrecognized arguments:"):
            options = [o for action in self._actions for o in action.option_strings if o.startswith("--")]
            guesses = [close[0] for typo in message.split(":", 1)[1].split()
                       if typo.startswith("-") and (close := difflib.get_close_matches(typo.split("=")[0], options, 1, 0.6))]
            if guesses:
                message += f" (did you mean {' and '.join(guesses)}?)"
        elif message.startswith("argument COMMAND: invalid choice:"):
            typo = message.split("'")[1] if "'" in message else ""
            close = difflib.get_close_matches(typo, list(COMMANDS), 1, 0.6)
            if close:
                message += f" (did you mean {close[0]}?)"
        super().error(message)


def _hyphenated_options(argv: Sequence[str]) -> list[str]:
    """`--top_k 3` read as `--top-k 3`: options are spelled with hyphens, and Python users type underscores. Only
    tokens before a bare `--` that start with `--` are touched, never a question."""
    out, options_end = [], False
    for token in argv:
        if token == "--":
            options_end = True
        elif not options_end and token.startswith("--") and "_" in token.split("=", 1)[0]:
            name, eq, value = token.partition("=")
            token = name.replace("_", "-") + eq + value
        out.append(token)
    return out


def _store_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", metavar="DIR", help="store folder (default: $POLICYQA_STORE or ./.policyqa)")
    parser.add_argument("--chroma-url", metavar="URL", help="use a Chroma server, e.g. http://127.0.0.1:8000 (default: embedded)")
    parser.add_argument("--embedding-model", metavar="NAME_OR_PATH", help="sentence-transformers model (default: bundled all-MiniLM-L6-v2)")


def build_parser() -> argparse.ArgumentParser:
    parser = SuggestingParser(
        prog="policyqa",
        description="Ask questions about your policy documents and get answers quoted from them, with citations. Works offline.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log what happens")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    ingest = sub.add_parser("ingest", help="add or update documents from files and folders",
                            description="Ingest .txt .md .html .pdf .docx .json .jsonl files. Unchanged files are skipped, changed ones replaced; after a change of the chunk size every file is re-chunked once.")
    ingest.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders")
    ingest.add_argument("--prune", action="store_true", help="remove documents whose files are gone from these folders")
    ingest.add_argument("--follow-links", action="store_true",
                        help="read links to files outside the folders named (by default they are reported and left out)")
    ingest.add_argument("--quiet", action="store_true", help="no progress (a bar on a terminal, a line every 10 s in a log)")
    _store_args(ingest)

    ask = sub.add_parser("ask", help="answer one question with citations")
    ask.add_argument("question", help="the question, in quotes")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON (the ask --json contract)")
    ask.add_argument("-k", "--top-k", type=int, help="number of passages to retrieve (default 6)")
    ask.add_argument("--history", type=Path, metavar="FILE", help="JSON list of earlier turns [{role, content}] for a follow-up")
    ask.add_argument("--stream", action="store_true", help="print the answer as it is written (language-model mode)")
    ask.add_argument("--llm", metavar="PROVIDER:MODEL", help="answer with a language model, e.g. ollama:llama3.1")
    ask.add_argument("--llm-base-url", metavar="URL", help="base URL of an OpenAI-compatible server")
    _store_args(ask)

    docs = sub.add_parser("docs", help="list the ingested documents")
    docs.add_argument("--json", action="store_true", help="print as JSON")
    _store_args(docs)

    history = sub.add_parser(
        "history", help="what a document acts on (amends, revokes, ...) and what later documents did to it",
        description="A document's timeline: the documents it says it amends, revokes, supersedes, suspends, extends, "
                    "continues or implements, and the later ingested documents that do so to it, each with the date "
                    "and the verbatim sentence that says so. Found at ingest from the documents' own words.")
    history.add_argument("document", metavar="DOC-OR-NUMBER",
                         help="a source as shown by `policyqa docs`, or an order's number: 14257, 'EO 14257', "
                              "'Proclamation 9705'")
    history.add_argument("--json", action="store_true", help="print the timeline as JSON")
    _store_args(history)
    check = sub.add_parser(
        "check", help="verify that catalog, vectors and lexical index agree; --repair fixes what it finds",
        description="Compare the catalog with the vector store and the lexical index: a write that did not finish, "
                    "vectors no document owns, chunks without a vector, an unreadable vector index, an index or "
                    "relations behind the catalog. Exit 0 when the store is sound, 1 when not. --repair rolls back "
                    "the unfinished write, deletes stray vectors, embeds only what has no vector, and rebuilds an "
                    "unreadable vector index from the vectors kept for exact search (embedding only the rest).")
    check.add_argument("--repair", action="store_true", help="fix what the check finds (holds the store's write lock)")
    check.add_argument("--json", action="store_true", help="print the findings as JSON")
    _store_args(check)
    remove = sub.add_parser("remove", help="remove documents by source")
    remove.add_argument("sources", nargs="+", metavar="SOURCE", help="source as shown by `policyqa docs`")
    _store_args(remove)

    evaluate = sub.add_parser("eval", help="run a batch of questions and write results, metrics and a report")
    evaluate.add_argument("questions", type=Path, metavar="QUESTIONS.jsonl")
    evaluate.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder (resumes if it has results)")
    evaluate.add_argument("--compare", type=Path, metavar="OTHER_DIR", help="an earlier run to compare against")
    evaluate.add_argument("--no-resume", action="store_true", help="start over even if --out has results")
    evaluate.add_argument("-k", "--top-k", type=int, help="number of passages to retrieve")
    evaluate.add_argument("--llm", metavar="PROVIDER:MODEL", help="evaluate a language-model answerer")
    evaluate.add_argument("--llm-base-url", metavar="URL")
    _store_args(evaluate)

    serve = sub.add_parser("serve", help="open the chat UI")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default 7860)")
    serve.add_argument("--auth", metavar="USER:PASS", help="require a login (or set POLICYQA_AUTH)")
    _store_args(serve)
    return parser


def settings_from_args(args: argparse.Namespace):
    from assistant.settings import load_settings

    llm = getattr(args, "llm", None)
    return load_settings(
        store=getattr(args, "store", None),
        chroma_url=getattr(args, "chroma_url", None),
        embedding_model=getattr(args, "embedding_model", None),
        top_k=getattr(args, "top_k", None),
        llm=llm,
        llm_base_url=getattr(args, "llm_base_url", None),
        answer_mode="llm" if llm else None,
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        auth=getattr(args, "auth", None),
    )


def cmd_ingest(args, settings) -> int:
    from assistant.core import build_assistant

    for path in args.paths:
        if not path.exists():
            raise CliError(f"{path}: no such file or folder")
    assistant = build_assistant(settings)
    report = assistant.ingest(args.paths, prune=args.prune, progress=not args.quiet, follow_links=args.follow_links)
    print(report.summary_line())
    if report.failed:
        print(f"policyqa: {len(report.failed)} file(s) could not be ingested (see the lines above)", file=sys.stderr)
        return 2
    return 0


def _load_history(path: Path | None) -> list[dict]:
    if path is None:
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CliError(f"{path}: cannot read history ({exc})") from exc
    if not isinstance(data, list):
        raise CliError(f"{path}: history must be a JSON list of {{role, content}} turns")
    return data


def _require_store(settings) -> None:
    from assistant.core import CATALOG_FILE

    if not (settings.store_dir / CATALOG_FILE).exists():
        raise CliError(f"no store at {settings.store_dir}; run `policyqa ingest FOLDER` first (or pass --store)")


def format_answer(answer) -> str:
    lines = [answer.answer, ""]
    if answer.refused:
        return "\n".join(lines).rstrip()
    lines.append("Sources:")
    for c in answer.citations:
        where = c.heading.rsplit(" > ", 1)[-1] if c.heading else ""
        if c.page:
            where = f"{where}, page {c.page}" if where else f"page {c.page}"
        lines.append(f"[{c.n}] {c.title}")
        lines.append(f"    {c.source}" + (f" — {where}" if where else "") + f" (chars {c.start}-{c.end})")
        lines.append(f"    \"{' '.join(c.quote.split())}\"")
    return "\n".join(lines)


def cmd_ask(args, settings) -> int:
    _require_store(settings)
    from assistant.core import build_assistant

    assistant = build_assistant(settings)
    assistant.open_store_in_background()
    history = _load_history(args.history)
    if args.stream and not args.json:
        answer, streamed = None, []
        for event in assistant.stream(args.question, history):
            if isinstance(event, str):
                streamed.append(event)
                print(event, end="", flush=True)
            else:
                answer = event
        print()
        if answer is not None:
            if answer.notice:
                print(f"policyqa: {answer.notice}", file=sys.stderr)
            checked = format_answer(answer)
            if "".join(streamed).strip() != answer.answer.strip():
                print("\nChecked answer:\n" + checked)
            else:
                print(checked[len(answer.answer):])
        return 0
    answer = assistant.ask(args.question, history)
    if answer.notice and not args.json:
        print(f"policyqa: {answer.notice}", file=sys.stderr)
    if args.json:
        print(json.dumps(answer.to_json(), ensure_ascii=False, indent=2))
    else:
        print(format_answer(answer))
    return 0


def cmd_docs(args, settings) -> int:
    _require_store(settings)
    from assistant.core import build_assistant

    docs = build_assistant(settings).documents()
    if args.json:
        print(json.dumps([asdict(d) for d in docs], indent=2, ensure_ascii=False))
        return 0
    for doc in docs:
        ingested = time.strftime("%Y-%m-%d %H:%M", time.localtime(doc.ingested_at))
        print(f"{doc.source}\t{doc.date or '-'}\t{doc.n_chunks} chunks\t{ingested}\t{doc.title[:90]}")
    print(f"{len(docs)} documents", file=sys.stderr)
    return 0


def cmd_history(args, settings) -> int:
    _require_store(settings)
    from assistant.core import build_assistant
    from assistant.history import PAST_TENSE

    assistant = build_assistant(settings)
    if assistant.catalog.relations_behind():
        print("policyqa: this store's relations were found by an older version (or not yet): run `policyqa ingest` "
              "on its folders once to bring them up to date", file=sys.stderr)
    sources = assistant.history.resolve(args.document)
    if not sources:
        raise CliError(f"no ingested document is {args.document!r}: give a source as `policyqa docs` lists it, or an "
                       "order's number (14257, 'EO 14257')")
    timelines = [assistant.history.timeline(source) for source in sources]
    if args.json:
        print(json.dumps([t.to_json() for t in timelines] if len(timelines) > 1 else timelines[0].to_json(),
                         indent=2, ensure_ascii=False))
        return 0
    for timeline in timelines:
        print(f"{timeline.title or timeline.source} ({timeline.date or 'undated'})\n{timeline.source}\n")
        print("Acts on:" if timeline.acts_on else "Acts on: no other document, as far as its text says")
        for change in timeline.acts_on:
            found = ", ".join(change.target_sources) or "not ingested"
            print(f"  {change.relation} {change.target_label}  [{found}]")
            print(f"      “{change.quote}”  (chars {change.start}-{change.end})")
        print("Changed by:" if timeline.acted_on_by else "Changed by: no ingested document")
        for change in timeline.acted_on_by:
            print(f"  {change.acting_date or '----------'}  {PAST_TENSE[change.relation].lower()} by "
                  f"{change.acting_name()}  [{change.acting_source}]")
            effective = f"  (effective {change.effective})" if change.effective else ""
            print(f"      “{change.quote}”  (chars {change.start}-{change.end}){effective}")
        print()
    return 0


def cmd_check(args, settings) -> int:
    _require_store(settings)
    from assistant.core import build_assistant

    found = build_assistant(settings).check(repair=args.repair)
    if args.json:
        print(json.dumps(found.to_json(), indent=2, ensure_ascii=False))
    else:
        vectors = "unreadable" if found.vectors is None else found.vectors
        print(f"{found.store}: {found.documents} documents, {found.chunks} chunks, {vectors} vectors")
        for line in found.repaired:
            print(f"repaired: {line}")
        for line in found.problems():
            print(f"problem: {line}")
        print("the store is sound" if found.ok else "run `policyqa check --repair` to fix this")
    return 0 if found.ok else 1


def cmd_remove(args, settings) -> int:
    _require_store(settings)
    from assistant.core import build_assistant

    removed, unknown = build_assistant(settings).remove(args.sources)
    for source in removed:
        print(f"removed {source}")
    for source in unknown:
        print(f"policyqa: not in the store: {source} (see `policyqa docs`)", file=sys.stderr)
    return 1 if unknown else 0


def cmd_eval(args, settings) -> int:
    _require_store(settings)
    if not args.questions.is_file():
        raise CliError(f"{args.questions}: no such file")
    from assistant.core import build_assistant
    from assistant.evaluation import evaluate

    assistant = build_assistant(settings)
    assistant.warm_up()

    def ask(question):
        return assistant.ask(question.question, question.history).to_json()

    summary = evaluate(
        args.questions, args.out, ask, assistant.document_text,
        resume=not args.no_resume, progress=sys.stderr.isatty(), compare_dir=args.compare,
    )
    overall = summary["overall"]
    keys = ["hit@5", "mrr@10", "keyword_accuracy", "median_answer_words", "evidence_recall", "citation_precision",
            "refusal_recall", "false_refusal_rate", "latency_p50_ms"]
    print(" ".join(f"{key}={overall.get(key)}" for key in keys))
    print(f"report: {args.out / 'report.md'}")
    return 0


def cmd_serve(args, settings) -> int:
    import app

    return app.serve(settings)


COMMANDS = {"ingest": cmd_ingest, "ask": cmd_ask, "docs": cmd_docs, "remove": cmd_remove, "history": cmd_history, "check": cmd_check, "eval": cmd_eval, "serve": cmd_serve}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = _hyphenated_options(sys.argv[1:] if argv is None else argv)
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        # the subcommand's own usage, not the top-level one, with a guess at what was meant
        subcommand = parser._subparsers._group_actions[0].choices.get(args.command) if args.command else None
        (subcommand or parser).error(f"unrecognized arguments: {' '.join(unknown)}")
    if not args.command:
        parser.print_help()
        return 2
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if not args.verbose:
        for noisy in ("chromadb", "httpx", "sentence_transformers", "transformers", "bm25s", "assistant.llm"):
            logging.getLogger(noisy).setLevel(logging.ERROR)
    try:
        from pydantic import ValidationError

        try:
            settings = settings_from_args(args)
        except ValidationError as exc:
            first = exc.errors()[0]
            raise CliError(f"invalid setting {'.'.join(map(str, first['loc']))}: {first['msg']}") from exc
        return COMMANDS[args.command](args, settings)
    except CliError as exc:
        print(f"policyqa: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("policyqa: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # the reader went away (`policyqa ask ... | head -1`): stop quietly, as other command-line tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except Exception as exc:  # last line of defence: one readable line, details with -v
        from assistant.core import StoreMismatchError
        from vectorstore.chroma_store import StoreError

        if isinstance(exc, (StoreError, StoreMismatchError, ValueError)):
            print(f"policyqa: error: {exc}", file=sys.stderr)
            return 1
        if args.verbose:
            raise
        print(f"policyqa: error: {type(exc).__name__}: {exc} (run with -v for details)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
