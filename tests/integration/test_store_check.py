"""`policyqa check` and `--repair` (issue 20 item 1), against real Chroma and the real bundled model: the damage a
killed write or a killed Chroma leaves is found, and repaired to exactly the store one clean run gives. The kill
test prints its tally (kills, stores repaired to a clean-run store)."""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pytest

from assistant.core import build_assistant
from assistant.settings import Settings
from ingest.records import Chunk
from tests.integration.test_ingest_lifecycle import DEMO, REPO, _cli_env, copy_corpus, snapshot

pytestmark = pytest.mark.integration
REMOVED = "eo2025/04-April/2025-04-09-executive-order-14266.md"


def test_check_finds_stray_and_missing_vectors_and_an_unfinished_write_and_repair_fixes_them(make_assistant, tmp_path):
    assistant = make_assistant(tmp_path / "store")
    assistant.ingest([copy_corpus(tmp_path / "corpus")], progress=False)
    clean = snapshot(assistant)
    assert assistant.check().ok

    ids = sorted(clean["catalog_ids"])
    vector = assistant.store.vectors(ids[:1])[ids[0]]
    assistant.store.delete(ids[:3])
    assistant.store.upsert([Chunk("stray-vector", "gone.md", "text", 0, 4)], np.vstack([vector]))
    assistant.catalog.begin_pending("killed-run", ["another-stray"])
    found = assistant.check()
    assert not found.ok and found.unfinished_run == 1
    assert found.stray_vectors == ["stray-vector"] and found.missing_vectors == ids[:3]

    repaired = assistant.check(repair=True)
    assert repaired.ok, repaired.problems()
    assert any("embedded 3 chunks" in line for line in repaired.repaired)
    assert snapshot(assistant) == clean
    assert not assistant.ask("What did the order of April 9, 2025 suspend?").refused


def test_an_unreadable_vector_index_is_rebuilt_from_the_vectors_at_hand(tmp_path, embedder):
    collection = f"t-{uuid.uuid4().hex[:12]}"

    def make(store: Path):
        assistant = build_assistant(Settings(store=store, collection=collection, chunk_tokens=32))
        assistant.__dict__["embedder"] = embedder
        return assistant

    store = tmp_path / "store"
    first = make(store)
    # Chroma writes its vector index to disk from 1,000 vectors on (below that it rebuilds it from its log)
    names = sorted(str(p.relative_to(DEMO)) for p in DEMO.rglob("*.md"))[:16]
    first.ingest([copy_corpus(tmp_path / "corpus", names)], progress=False)
    assert first.store.count() > 1000
    # keeps the vectors for exact search beside the store; the repaired store must answer as the clean one did
    answered = first.ask("What did the order of April 9, 2025 suspend?")
    clean = snapshot(first)
    first.store.reopen()
    for segment in (store / "chroma").glob("*/data_level0.bin"):
        with open(segment, "r+b") as handle:  # what a kill inside Chroma's write leaves
            handle.truncate(1000)

    broken = make(store)
    found = broken.check()
    assert found.vector_error  # "Error getting embedding" or "Failed to apply logs to the hnsw segment writer"
    result = subprocess.run([sys.executable, "-m", "assistant.cli", "check", "--repair", "--store", str(store)],
                            capture_output=True, text=True, cwd=REPO, timeout=600,
                            env={**_env(), "POLICYQA_COLLECTION": collection, "POLICYQA_CHUNK_TOKENS": "32"})
    assert result.returncode == 0, result.stderr + result.stdout
    assert "0 embedded again" in result.stdout and "the store is sound" in result.stdout
    repaired = make(store)
    assert snapshot(repaired) == clean
    again = repaired.ask("What did the order of April 9, 2025 suspend?")
    assert (again.answer, again.citations) == (answered.answer, answered.citations)


def _env() -> dict:
    import os

    return dict(os.environ)


@pytest.mark.parametrize("operation", ["remove", "prune"])
def test_kill_during_remove_or_prune_then_the_next_command_leaves_a_clean_run_store(make_assistant, tmp_path,
                                                                                    operation):
    """Kill `policyqa remove` (or `ingest --prune` of a deleted file) at moments across its write, from the journal
    entry to the end, and let the same command run again (and, when `check` says so, `check --repair`) finish the
    job: every store equals a clean removal."""
    corpus = copy_corpus(tmp_path / "corpus")
    template = tmp_path / "template"
    make_assistant(template).ingest([corpus], progress=False)
    clean_store = tmp_path / "clean"
    if make_assistant.url:
        pytest.skip("a server collection cannot be copied per kill; the embedded store shows the journal's work")
    shutil.copytree(template, clean_store)
    clean = make_assistant(clean_store)
    clean.remove([REMOVED])
    expected = snapshot(clean)
    env = _cli_env(make_assistant)
    if operation == "prune":
        (corpus / REMOVED).unlink()
    command = ["remove", REMOVED] if operation == "remove" else ["ingest", str(corpus), "--prune", "--quiet"]
    delays = [0.0, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2]
    tally = {"kills": 0, "killed mid-write": 0, "clean after next command": 0, "needed --repair": 0}
    for n, delay in enumerate(delays):
        store = tmp_path / f"killed-{n}"
        shutil.copytree(template, store)
        proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", *command, "--store", str(store)],
                                cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        while proc.poll() is None and time.time() < deadline:
            try:
                with sqlite3.connect(store / "catalog.sqlite3", timeout=0.1) as conn:
                    if conn.execute("SELECT count(*) FROM pending").fetchone()[0]:
                        break
            except sqlite3.Error:
                pass
            time.sleep(0.001)
        time.sleep(delay)
        mid_write = proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        tally["kills"] += 1
        tally["killed mid-write"] += mid_write
        again = subprocess.run([sys.executable, "-m", "assistant.cli", *command, "--store", str(store)],
                               cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
        check = subprocess.run([sys.executable, "-m", "assistant.cli", "check", "--store", str(store)], cwd=REPO,
                               env=env, capture_output=True, text=True, timeout=300)
        if check.returncode != 0:
            tally["needed --repair"] += 1
            subprocess.run([sys.executable, "-m", "assistant.cli", "check", "--repair", "--store", str(store)],
                           cwd=REPO, env=env, capture_output=True, text=True, timeout=600, check=True)
        state = snapshot(make_assistant(store))
        assert state == expected, (delay, again.stdout, again.stderr, check.stdout)
        tally["clean after next command"] += 1
    print(f"\nkill -9 during {operation}: {tally}")
    assert tally["killed mid-write"] >= 1, "no kill landed inside the write; the polling is too slow"
