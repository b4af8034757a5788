"""Bad files get one clear stderr line each (file and reason), the batch goes on, the exit code says so."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
GOOD = REPO / "data" / "demo_corpus" / "eo2025/04-April/2025-04-09-executive-order-14266.md"


def make_bad_folder(folder: Path) -> dict[str, str]:
    """Writes one file per bad-input case; returns file name -> a word its error line must contain."""
    from pypdf import PdfReader, PdfWriter

    folder.mkdir()
    shutil.copy(GOOD, folder / "good.md")
    (folder / "empty.txt").write_bytes(b"")
    (folder / "blob.txt").write_bytes(bytes(range(256)) * 40)
    real_pdf = (FIXTURES / "598us1r3_j4ek.pdf").read_bytes()
    (folder / "corrupt.pdf").write_bytes(real_pdf[:2000])
    writer = PdfWriter()
    for page in PdfReader(FIXTURES / "598us1r3_j4ek.pdf").pages[:2]:
        writer.add_page(page)
    writer.encrypt("secret", algorithm="RC4-128")
    with open(folder / "locked.pdf", "wb") as handle:
        writer.write(handle)
    shutil.copy(FIXTURES / "dr_a_order.pdf", folder / "scanned.pdf")
    (folder / "notes.xyz").write_text("an unsupported extension")
    return {"empty.txt": "empty", "blob.txt": "binary", "corrupt.pdf": "corrupt", "locked.pdf": "encrypted",
            "scanned.pdf": "OCR", "notes.xyz": "unsupported"}


def run(args, store: Path):
    env = {**os.environ, "POLICYQA_STORE": str(store)}
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=600)


def test_bad_files_are_reported_and_the_rest_is_ingested(tmp_path):
    expected = make_bad_folder(tmp_path / "inbox")
    store = tmp_path / "store"
    result = run(["ingest", str(tmp_path / "inbox"), "--quiet"], store)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("policyqa: skipped")]
    assert len(lines) == len(expected), result.stderr
    for name, word in expected.items():
        line = next(line for line in lines if f"/{name}:" in line)
        assert word.lower() in line.lower(), line
    assert "1 added" in result.stdout and f"{len(expected)} failed" in result.stdout

    docs = run(["docs", "--json"], store)
    assert docs.returncode == 0
    assert [d["source"] for d in json.loads(docs.stdout)] == ["good.md"]

    again = run(["ingest", str(tmp_path / "inbox"), "--quiet"], store)
    assert again.returncode == 2 and "1 unchanged" in again.stdout and "0 added" in again.stdout


def test_cli_errors_are_one_line_with_what_to_do(tmp_path):
    missing = run(["ingest", str(tmp_path / "nope")], tmp_path / "store")
    assert missing.returncode == 1 and missing.stderr.strip().count("\n") == 0 and "no such file" in missing.stderr
    no_store = run(["ask", "anything"], tmp_path / "empty-store")
    assert no_store.returncode == 1 and "policyqa ingest" in no_store.stderr
    unknown = run(["remove", "not-there.md"], tmp_path / "empty-store")
    assert unknown.returncode == 1
    help_text = run(["--help"], tmp_path / "store")
    assert help_text.returncode == 0 and "examples:" in help_text.stdout


def test_ingest_into_a_log_prints_progress_lines_and_no_rate_when_nothing_was_written(tmp_path):
    """With stderr a file, not a terminal, progress comes as plain lines (every 10 s; here the one first update is
    printed because the interval is set to 0), never carriage-return bar updates."""
    inbox = tmp_path / "inbox"
    make_bad_folder(inbox)
    env = {**os.environ, "POLICYQA_STORE": str(tmp_path / "store")}
    code = ("import sys; import ingest.pipeline as p; p._ProgressLines.LOG_EVERY = 0.0; "
            "from assistant.cli import main; sys.exit(main(sys.argv[1:]))")
    result = subprocess.run([sys.executable, "-c", code, "ingest", str(inbox)], capture_output=True, text=True, env=env,
                            cwd=REPO, timeout=600)
    progress = [line for line in result.stderr.splitlines() if line.startswith("ingest: ")]
    assert progress and all("/7 files" in line for line in progress), result.stderr
    assert "\r" not in result.stderr
    again = run(["ingest", str(inbox), "--quiet"], tmp_path / "store")
    assert "0 chunks written" in again.stdout and "chunks/s" not in again.stdout


def test_a_typo_gets_the_subcommands_usage_and_a_suggestion(tmp_path):
    typo = run(["ask", "--jsn", "What is the rate?"], tmp_path / "store")
    assert typo.returncode == 2
    assert "usage: policyqa ask" in typo.stderr and "did you mean --json?" in typo.stderr
    command = run(["ingets", "folder"], tmp_path / "store")
    assert command.returncode == 2 and "did you mean ingest?" in command.stderr


def test_an_underscore_option_is_read_with_hyphens(tmp_path):
    """`--top_k 3` is `--top-k 3`, not an unknown option followed by the question "3"."""
    from assistant.cli import _hyphenated_options, build_parser

    args = build_parser().parse_args(_hyphenated_options(["ask", "--top_k", "3", "What is the rate?"]))
    assert args.top_k == 3 and args.question == "What is the rate?"
    assert _hyphenated_options(["ask", "--", "--a_question"]) == ["ask", "--", "--a_question"]


def test_asking_an_empty_store_says_how_to_fill_it(tmp_path):
    (tmp_path / "inbox").mkdir()
    store = tmp_path / "store"
    assert run(["ingest", str(tmp_path / "inbox")], store).returncode == 0
    answer = run(["ask", "--json", "What is the rate?"], store)
    assert answer.returncode == 0, answer.stderr
    data = json.loads(answer.stdout)
    assert data["refused"] and data["citations"] == []
    assert "holds no documents yet" in data["answer"] and f"policyqa ingest FOLDER --store {store}" in data["answer"]


def test_a_pipe_or_a_device_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    result = run(["ingest", str(fifo), "/dev/zero", str(GOOD), "--quiet"], tmp_path / "store")
    assert result.returncode == 2 and "1 added" in result.stdout
    lines = [line for line in result.stderr.splitlines() if line.startswith("policyqa: skipped")]
    assert len(lines) == 2 and all("not a regular file" in line for line in lines), result.stderr


def test_a_link_out_of_the_folder_is_not_read_unless_asked(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("The vault code is 4711 and nobody may see it outside this folder.\n")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(GOOD, inbox / "good.md")
    (inbox / "notes.txt").symlink_to(secret)
    (inbox / "alias.md").symlink_to(inbox / "good.md")  # a link within the folder is read
    (inbox / "elsewhere").symlink_to(tmp_path, target_is_directory=True)
    os.mkfifo(inbox / "pipe.txt")
    store = tmp_path / "store"
    result = run(["ingest", str(inbox), "--quiet"], store)
    assert result.returncode == 2 and "2 added" in result.stdout
    assert "notes.txt" in result.stderr and "--follow-links" in result.stderr
    skipped = [line for line in result.stderr.splitlines() if line.startswith("policyqa: skipped")]
    assert len(skipped) == 3, result.stderr
    assert any("elsewhere" in line and "folders behind links are not read" in line for line in skipped)
    assert any("pipe.txt" in line and "not a regular file" in line for line in skipped)
    assert "notes.txt" not in run(["docs"], store).stdout
    followed = run(["ingest", str(inbox), "--quiet", "--follow-links"], store)
    assert "1 added" in followed.stdout and "notes.txt" not in followed.stderr
    assert followed.returncode == 2, "the linked folder and the pipe are still not read, and said so"


def test_a_file_over_a_limit_gets_one_line_and_the_rest_is_committed(tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(GOOD, inbox / "good.md")
    (inbox / "huge.txt").write_text("A sentence of a very long memo. " * 40_000)  # 1.3 MB
    env = {**os.environ, "POLICYQA_STORE": str(tmp_path / "store"), "POLICYQA_MAX_FILE_MB": "1"}
    result = subprocess.run([sys.executable, "-m", "assistant.cli", "ingest", str(inbox), "--quiet"], capture_output=True,
                            text=True, env=env, cwd=REPO, timeout=600)
    assert result.returncode == 2 and "1 added" in result.stdout and "1 failed" in result.stdout
    lines = [line for line in result.stderr.splitlines() if line.startswith("policyqa: skipped")]
    assert len(lines) == 1 and "huge.txt: file too large: 1.3 MB (the limit is 1 MB" in lines[0]
