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
