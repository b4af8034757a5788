"""Incremental ingestion against real Chroma (embedded and a `chroma run` server) with the real bundled model.

ingest -> re-ingest (nothing re-embedded or duplicated) -> modify (replaced) -> delete + --prune,
a run that fails mid-way leaves the store as it was, and a run killed with SIGKILL then re-run
ends in exactly the store of one clean run.
"""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from assistant.core import build_assistant
from assistant.settings import Settings

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "data" / "demo_corpus"
SMALL_SET = [
    "eo2025/02-February/2025-02-25-executive-order-14220.md",
    "eo2025/03-March/2025-03-24-executive-order-14245.md",
    "eo2025/04-April/2025-04-02-executive-order-14256.md",
    "eo2025/04-April/2025-04-09-executive-order-14266.md",
    "eo2025/04-April/2025-04-17-executive-order-14276.md",
    "seed_india_russia.txt",
]


def copy_corpus(target: Path, names=SMALL_SET) -> Path:
    for name in names:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DEMO / name, target / name)
    return target


def snapshot(assistant) -> dict:
    """Everything that defines a store's content: vector ids, manifest hashes, chunk rows."""
    catalog = assistant.catalog
    return {
        "vector_ids": sorted(assistant.store.all_ids()),
        "vector_count": assistant.store.count(),
        "catalog_ids": sorted(catalog.all_chunk_ids()),
        "files": {s: e.file_hash for s, e in catalog.files().items()},
        "documents": sorted(d.source for d in catalog.documents()),
    }




def test_incremental_lifecycle(make_assistant, tmp_path):
    corpus = copy_corpus(tmp_path / "corpus")
    assistant = make_assistant(tmp_path / "store")

    first = assistant.ingest([corpus], progress=False)
    assert sorted(first.added) == sorted(SMALL_SET) and not first.failed
    state1 = snapshot(assistant)
    assert state1["vector_count"] == len(state1["vector_ids"]) == len(state1["catalog_ids"]) == first.chunks_written
    assert state1["vector_ids"] == state1["catalog_ids"]

    again = assistant.ingest([corpus], progress=False)
    assert sorted(again.unchanged) == sorted(SMALL_SET)
    assert again.chunks_written == 0 and again.chunks_embedded == 0
    assert snapshot(assistant) == state1

    target = corpus / "eo2025/04-April/2025-04-09-executive-order-14266.md"
    target.write_text(target.read_text() + "\n\nSec. 9. Addendum. The zebra tariff on marmalade is 77 percent.\n")
    changed = assistant.ingest([corpus], progress=False)
    assert changed.updated == ["eo2025/04-April/2025-04-09-executive-order-14266.md"]
    assert changed.chunks_embedded < changed.chunks_written, "unchanged chunks of a changed file reuse their vectors"
    state2 = snapshot(assistant)
    assert state2["vector_ids"] == state2["catalog_ids"]
    assert len(state2["vector_ids"]) == len(set(state2["vector_ids"]))
    answer = assistant.ask("What is the zebra tariff on marmalade?")
    assert not answer.refused and "77 percent" in answer.answer

    (corpus / "seed_india_russia.txt").unlink()
    kept = assistant.ingest([corpus], progress=False)
    assert kept.removed == [] and "seed_india_russia.txt" in {d.source for d in assistant.documents()}
    pruned = assistant.ingest([corpus], prune=True, progress=False)
    assert pruned.removed == ["seed_india_russia.txt"]
    state3 = snapshot(assistant)
    assert "seed_india_russia.txt" not in state3["documents"]
    assert state3["vector_ids"] == state3["catalog_ids"]

    removed, unknown = assistant.remove(["eo2025/04-April/2025-04-17-executive-order-14276.md", "nope.md"])
    assert removed == ["eo2025/04-April/2025-04-17-executive-order-14276.md"] and unknown == ["nope.md"]
    state4 = snapshot(assistant)
    assert state4["vector_ids"] == state4["catalog_ids"] and len(state4["documents"]) == len(SMALL_SET) - 2


def test_a_new_chunk_size_re_chunks_unchanged_files_on_the_next_ingest(tmp_path, embedder):
    collection = f"t-{uuid.uuid4().hex[:12]}"

    def make_assistant(store: Path, **overrides):
        assistant = build_assistant(Settings(store=store, collection=collection, **overrides))
        assistant.__dict__["embedder"] = embedder
        return assistant

    corpus = copy_corpus(tmp_path / "corpus")
    store = tmp_path / "store"
    first = make_assistant(store).ingest([corpus], progress=False)
    state1 = snapshot(make_assistant(store))

    smaller = make_assistant(store, chunk_tokens=96)
    rechunked = smaller.ingest([corpus], progress=False)
    assert rechunked.updated and not rechunked.added and not rechunked.failed
    assert sorted(rechunked.updated + rechunked.unchanged) == sorted(SMALL_SET)
    assert rechunked.chunks_embedded < rechunked.chunks_written, "passages that did not move keep their vectors"
    state2 = snapshot(smaller)
    assert len(state2["catalog_ids"]) > len(state1["catalog_ids"]) == first.chunks_written
    assert state2["vector_ids"] == state2["catalog_ids"] and state2["files"] == state1["files"]
    again = smaller.ingest([corpus], progress=False)
    assert sorted(again.unchanged) == sorted(SMALL_SET) and again.chunks_written == 0


def test_a_store_chunked_by_an_older_version_says_so_until_it_is_ingested_again(tmp_path, embedder, caplog):
    from assistant.analysis import analyze
    from ingest.pipeline import CHUNKING_META

    collection = f"t-{uuid.uuid4().hex[:12]}"

    def make_assistant(store: Path):
        assistant = build_assistant(Settings(store=store, collection=collection))
        assistant.__dict__["embedder"] = embedder
        return assistant

    corpus = copy_corpus(tmp_path / "corpus", SMALL_SET[:2])
    store = tmp_path / "store"
    make_assistant(store).ingest([corpus], progress=False)
    old = make_assistant(store)
    old.catalog.set_meta(CHUNKING_META, "v2 target=160 max=254")
    old.retrieve(analyze("What does the order direct?"))
    assert "chunked by an older version of policyqa (v2)" in caplog.text
    caplog.clear()
    make_assistant(store).ingest([corpus], progress=False)  # re-chunks: these files come out the same
    make_assistant(store).retrieve(analyze("What does the order direct?"))
    assert "older version" not in caplog.text


def test_failed_run_leaves_store_unchanged(make_assistant, tmp_path, monkeypatch):
    corpus = copy_corpus(tmp_path / "corpus")
    assistant = make_assistant(tmp_path / "store", ingest_batch_files=2)
    assistant.ingest([corpus], progress=False)
    before = snapshot(assistant)

    for name in SMALL_SET[:3]:
        path = corpus / name
        path.write_text(path.read_text() + f"\n\nA new closing paragraph for {name} about apricots.\n")
    (corpus / "new_file.txt").write_text("A brand new file about the apricot quota of 12 tonnes.")

    def crash(*args, **kwargs):
        raise RuntimeError("simulated crash between the vector store write and the manifest commit")

    monkeypatch.setattr(assistant.catalog, "commit_files", crash)
    with pytest.raises(RuntimeError, match="simulated crash"):
        assistant.ingest([corpus], progress=False)
    monkeypatch.undo()

    assistant.ingestor().recover()
    assert snapshot(assistant) == before, "a failed run must leave vectors and manifest as they were"

    report = assistant.ingest([corpus], progress=False)
    assert sorted(report.updated) == sorted(SMALL_SET[:3]) and report.added == ["new_file.txt"]
    after = snapshot(assistant)
    assert after["vector_ids"] == after["catalog_ids"]


def _cli_env(make_assistant, batch_files: int | None = None) -> dict:
    """The environment a `policyqa` subprocess needs to write to the same collection (and server) as the test."""
    env = {**os.environ, "POLICYQA_COLLECTION": make_assistant.collection}
    if batch_files is not None:
        env["POLICYQA_INGEST_BATCH_FILES"] = str(batch_files)
    if make_assistant.url:
        env["POLICYQA_CHROMA_URL"] = make_assistant.url
    return env


def _run_cli(args, env):
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], capture_output=True, text=True, env=env, cwd=REPO, timeout=900)


def test_kill_mid_ingest_then_rerun_equals_clean_run(make_assistant, tmp_path):
    names = sorted(str(p.relative_to(DEMO)) for p in DEMO.rglob("*.md"))[:24]
    corpus = copy_corpus(tmp_path / "corpus", names)
    env = _cli_env(make_assistant, batch_files=3)
    killed_store = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", "ingest", str(corpus), "--store", str(killed_store), "--quiet"],
                            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    catalog = killed_store / "catalog.sqlite3"
    deadline = time.time() + 600
    committed = 0
    while time.time() < deadline and proc.poll() is None:
        if catalog.exists():
            try:
                with sqlite3.connect(catalog, timeout=1) as conn:
                    committed = conn.execute("SELECT count(*) FROM files").fetchone()[0]
            except sqlite3.Error:
                committed = 0
            if committed >= 6:
                break
        time.sleep(0.05)
    assert proc.poll() is None, "ingest finished before it could be killed; make the corpus larger"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 0 < committed < len(names)

    rerun = _run_cli(["ingest", str(corpus), "--store", str(killed_store), "--quiet"], env)
    assert rerun.returncode == 0, rerun.stderr
    assert "chunking changed" not in rerun.stderr, "a killed first run is no change of chunking"

    killed = make_assistant(killed_store)
    killed_state = snapshot(killed)
    if make_assistant.url:
        killed.store.reset()
    clean = make_assistant(tmp_path / "clean")
    clean.ingest([corpus], progress=False)
    clean_state = snapshot(clean)
    assert killed_state == clean_state
    assert len(set(clean_state["vector_ids"])) == clean_state["vector_count"]


def test_two_writers_at_once_take_turns_and_leave_one_clean_store(make_assistant, tmp_path):
    """Two `policyqa ingest` on one store: the second waits for the first (and says so), then finds every file
    unchanged; the store is exactly what one clean run gives."""
    names = sorted(str(p.relative_to(DEMO)) for p in DEMO.rglob("*.md"))[:12]
    corpus = copy_corpus(tmp_path / "corpus", names)
    env = _cli_env(make_assistant, batch_files=2)
    store = tmp_path / "shared"
    command = [sys.executable, "-m", "assistant.cli", "ingest", str(corpus), "--store", str(store), "--quiet"]
    first = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lock = store / "write.lock"
    deadline = time.time() + 300
    while time.time() < deadline and not (lock.exists() and lock.read_text().strip()) and first.poll() is None:
        time.sleep(0.05)
    second = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    out, err = first.communicate(timeout=600)
    assert first.returncode == 0 and second.returncode == 0, err + second.stderr
    assert f"{len(names)} added" in out
    assert "waiting for policyqa ingest (pid" in second.stderr, "the second writer says whom it waits for"
    assert f"{len(names)} unchanged" in second.stdout

    shared = snapshot(make_assistant(store))
    if make_assistant.url:
        make_assistant(store).store.reset()
    clean = make_assistant(tmp_path / "clean")
    clean.ingest([corpus], progress=False)
    assert shared == snapshot(clean)


def test_a_running_assistant_answers_from_what_a_cli_ingest_added(make_assistant, tmp_path):
    """Issue 20: a running `serve` failed every question ("Error finding id") after the CLI ingested into its store."""
    corpus = copy_corpus(tmp_path / "corpus", SMALL_SET[:3])
    store = tmp_path / "store"
    running = make_assistant(store)
    running.ingest([corpus], progress=False)
    question = "How many delegates attended the session of the India-Russia working group?"
    assert "seed_india_russia.txt" not in {c.source for c in running.ask(question).retrieved}
    extra = copy_corpus(tmp_path / "extra", ["seed_india_russia.txt"])
    env = _cli_env(make_assistant)
    added = _run_cli(["ingest", str(extra), "--store", str(store), "--quiet"], env)
    assert added.returncode == 0 and "1 added" in added.stdout, added.stderr
    answer = running.ask(question)
    assert "seed_india_russia.txt" in {c.source for c in answer.retrieved}


def test_questions_in_flight_while_the_cli_ingests_all_get_answers(make_assistant, tmp_path):
    """Issue 20 item 3: questions asked while another process writes the store get an answer from the store as it
    was or as it becomes, never an error; afterwards the new documents are found."""
    import threading

    corpus = copy_corpus(tmp_path / "corpus", SMALL_SET[:2])
    store = tmp_path / "store"
    running = make_assistant(store)
    running.ingest([corpus], progress=False)
    names = sorted(str(p.relative_to(DEMO)) for p in DEMO.rglob("*.md"))[20:32]
    extra = copy_corpus(tmp_path / "extra", names)
    errors: list[BaseException] = []
    answered = 0
    stop = threading.Event()

    def ask_until_stopped() -> None:
        nonlocal answered
        while not stop.is_set():
            try:
                running.ask("What does the order require the Secretary to report?")
                answered += 1
            except BaseException as exc:  # noqa: BLE001 - the test reports every failure
                errors.append(exc)

    asker = threading.Thread(target=ask_until_stopped)
    asker.start()
    try:
        added = _run_cli(["ingest", str(extra), "--store", str(store), "--quiet"], _cli_env(make_assistant, batch_files=2))
    finally:
        stop.set()
        asker.join(timeout=300)
    assert added.returncode == 0 and f"{len(names)} added" in added.stdout, added.stderr
    assert not errors, errors[:3]
    assert answered >= 3, "questions were asked while the ingest ran"
    assert {d.source for d in running.documents()} >= set(names)
    after = running.ask("What does the order require the Secretary to report?")
    assert set(c.source for c in after.retrieved) - set(SMALL_SET[:2]), "the new documents are searched"
