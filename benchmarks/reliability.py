"""The reliability suite, long form (issue 20): kill -9 at many moments of every write, two writers at once, hostile
files; prints the tally. CI runs the fast subset (`tests/integration/test_store_check.py`,
`tests/integration/test_ingest_lifecycle.py`, `tests/integration/test_bad_input.py`).

For each write operation — `ingest`, `remove`, `ingest --prune`, and the move of a store's vectors to a Chroma server
(`ingest --chroma-url`) — a copy of one store is written by `policyqa` in a child process that is killed with
SIGKILL at a moment drawn at random: over the length of a clean ingest; 0-200 ms after remove and prune write
their journal entry, and after the move creates the server's collection;
then the same command runs again (and `policyqa check --repair` when `policyqa check` finds a problem), and the
store is compared with one clean run: vector ids, catalog chunk ids, file hashes, documents. A command that runs
past 10 minutes counts as a hang. Then two writers at once (three times), a folder with links out of it and a
FIFO, and the hostile files of `hostile_files.py`.

Usage:  python benchmarks/reliability.py [--kills 10] [--documents 24] [--seed 1] [--skip-hostile]
"""
from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from support import free_port, machine_line, wait_for_url

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEMO = REPO / "data" / "demo_corpus"
HANG_SECONDS = 600


def fingerprint(store: Path, collection: str, url: str | None = None) -> dict:
    """What defines a store's content (as the tests compare it)."""
    from assistant.core import build_assistant
    from assistant.settings import Settings

    assistant = build_assistant(Settings(store=store, collection=collection, chroma_url=url))
    try:
        catalog = assistant.catalog
        return {"vector_ids": sorted(assistant.store.all_ids()), "catalog_ids": sorted(catalog.all_chunk_ids()),
                "files": {s: e.file_hash for s, e in catalog.files().items()},
                "documents": sorted(d.source for d in catalog.documents())}
    finally:
        assistant.close()


def cli(args: list[str], env: dict, timeout: float = HANG_SECONDS) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], capture_output=True, text=True, cwd=REPO,
                          env=env, timeout=timeout)


def pending(store: Path) -> int:
    try:
        with sqlite3.connect(store / "catalog.sqlite3", timeout=0.1) as conn:
            return conn.execute("SELECT count(*) FROM pending").fetchone()[0]
    except sqlite3.Error:
        return 0


def killed_run(args: list[str], env: dict, delay: float, begun=None) -> bool:
    """Run `policyqa ARGS`, kill it with SIGKILL `delay` seconds after it starts (or after `begun()` first holds: its
    write has begun); True when it was still running (killed mid-operation)."""
    proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", *args], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + HANG_SECONDS
    if begun is not None:
        while proc.poll() is None and time.time() < deadline and not begun():
            time.sleep(0.002)
    time.sleep(delay)
    alive = proc.poll() is None
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return alive


def finish(args: list[str], store: Path, env: dict, tally: dict) -> None:
    """The next command after a kill: the same one again, and `check --repair` if `check` still finds a problem."""
    try:
        again = cli(args, env)
        if again.returncode not in (0, 1, 2):
            tally["errors"].append(again.stderr.strip().splitlines()[-1:] or ["?"])
        if cli(["check", "--store", str(store)], env).returncode != 0:
            tally["needed --repair"] += 1
            cli(["check", "--repair", "--store", str(store)], env)
    except subprocess.TimeoutExpired:
        tally["hangs"] += 1


def links_and_special_files(work: Path, env: dict) -> dict:
    """A folder with a link to a file outside it, a link to a folder outside it and a FIFO beside one good order:
    nothing outside is read, nothing hangs, each is named on stderr."""
    folder = work / "links"
    (folder / "eo").mkdir(parents=True)
    shutil.copyfile(DEMO / "seed_india_russia.txt", folder / "eo" / "seed.txt")
    secret = work / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("The outside secret is 4242.")
    (folder / "p.txt").symlink_to(secret)
    (folder / "dir").symlink_to(secret.parent, target_is_directory=True)
    os.mkfifo(folder / "pipe.txt")
    tally = {"planted": 3, "read outside the folder": 0, "hangs": 0, "reported": 0}
    try:
        result = cli(["ingest", str(folder), "--store", str(work / "links-store"), "--quiet"], env, timeout=120)
        tally["reported"] = sum(name in result.stderr for name in ("p.txt", "dir", "pipe.txt"))
        docs = cli(["docs", "--store", str(work / "links-store")], env).stdout
        tally["read outside the folder"] = sum(name in docs for name in ("p.txt", "secret.txt"))
    except subprocess.TimeoutExpired:
        tally["hangs"] += 1
    return tally


def start_chroma_server(data: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    chroma = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    proc = subprocess.Popen([chroma, "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    wait_for_url(f"{url}/api/v2/heartbeat", proc, "Chroma server")
    return proc, url


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=10, help="kills per operation")
    parser.add_argument("--documents", type=int, default=24)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-hostile", action="store_true")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="policyqa-reliability-"))
    names = sorted(str(p.relative_to(DEMO)) for p in DEMO.rglob("*.md"))[: args.documents]
    corpus = work / "corpus"
    for name in names:
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(DEMO / name, corpus / name)
    gone = names[-1]
    collection = f"rel-{uuid.uuid4().hex[:8]}"
    env = {**os.environ, "POLICYQA_COLLECTION": collection, "POLICYQA_INGEST_BATCH_FILES": "3"}

    print(f"clean runs on {len(names)} demo orders ...", file=sys.stderr)
    started = time.perf_counter()
    cli(["ingest", str(corpus), "--store", str(work / "clean"), "--quiet"], env)
    ingest_seconds = time.perf_counter() - started
    clean_ingest = fingerprint(work / "clean", collection)
    shutil.copytree(work / "clean", work / "clean-removed")
    cli(["remove", gone, "--store", str(work / "clean-removed")], env)
    clean_removed = fingerprint(work / "clean-removed", collection)

    prune_folder = work / "prune-folder"  # ingested whole, then one file deleted: `--prune` removes it
    shutil.copytree(corpus, prune_folder)
    cli(["ingest", str(prune_folder), "--store", str(work / "clean-prune"), "--quiet"], env)
    (prune_folder / gone).unlink()
    server, url = start_chroma_server(work / "server-data")
    import chromadb

    server_client = chromadb.HttpClient(host="127.0.0.1", port=int(url.rsplit(":", 1)[1]))
    operations = {
        "ingest": (lambda store: ["ingest", str(corpus), "--store", str(store), "--quiet"], None, clean_ingest),
        "remove": (lambda store: ["remove", gone, "--store", str(store)], "journal", clean_removed),
        "prune": (lambda store: ["ingest", str(prune_folder), "--store", str(store), "--prune", "--quiet"], "journal",
                  clean_removed),
        "move to a server": (lambda store: ["ingest", str(corpus), "--store", str(store), "--chroma-url", url,
                                            "--quiet"], None, clean_ingest),
    }
    tallies = {}
    try:
        for operation, (command, journal, expected) in operations.items():
            tally = {"kills": 0, "killed mid-operation": 0, "identical to a clean run": 0, "needed --repair": 0,
                     "hangs": 0, "errors": []}
            for n in range(args.kills):
                store = work / f"{operation.replace(' ', '-')}-{n}"
                if operation == "ingest":
                    delay = rng.uniform(0.5, ingest_seconds)
                else:
                    shutil.copytree(work / ("clean-prune" if operation == "prune" else "clean"), store)
                    delay = rng.uniform(0.0, 0.2)
                tally["kills"] += 1
                if journal:
                    begun = lambda store=store: pending(store) > 0  # noqa: E731
                elif operation == "move to a server":
                    begun = lambda: collection in [c.name for c in server_client.list_collections()]  # noqa: E731
                else:
                    begun = None
                tally["killed mid-operation"] += killed_run(command(store), env, delay, begun)
                finish(command(store), store, env, tally)
                location = url if operation == "move to a server" else None
                if fingerprint(store, collection, location) == expected:
                    tally["identical to a clean run"] += 1
                if operation == "move to a server":
                    server_client.delete_collection(collection)
            tallies[operation] = tally
            print(f"{operation}: {tally}", file=sys.stderr)

        writers = {"runs": 0, "identical to a clean run": 0}
        for n in range(3):
            store = work / f"writers-{n}"
            command = [sys.executable, "-m", "assistant.cli", "ingest", str(corpus), "--store", str(store), "--quiet"]
            first = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            second = subprocess.run(command, cwd=REPO, env=env, capture_output=True, timeout=HANG_SECONDS)
            first.wait(timeout=HANG_SECONDS)
            writers["runs"] += 1
            writers["identical to a clean run"] += fingerprint(store, collection) == clean_ingest and second.returncode == 0
    finally:
        server.terminate()
        server.wait(timeout=30)

    print(f"{machine_line()}; {len(names)} demo orders, clean ingest {ingest_seconds:.1f} s")
    print(f"{'operation':18} {'kills':>5} {'mid-op':>6} {'identical':>9} {'--repair':>8} {'hangs':>5}  errors")
    for operation, t in tallies.items():
        print(f"{operation:18} {t['kills']:>5} {t['killed mid-operation']:>6} {t['identical to a clean run']:>9} "
              f"{t['needed --repair']:>8} {t['hangs']:>5}  {t['errors'][:2]}")
    print(f"two writers at once: {writers['identical to a clean run']} of {writers['runs']} stores identical to a clean run")
    outside = links_and_special_files(work, env)
    print(f"links out of the folder and special files: {outside['read outside the folder']} files outside the folder "
          f"read, {outside['hangs']} hangs, stderr lines naming them: {outside['reported']} of {outside['planted']}")
    ok = all(t["identical to a clean run"] == t["kills"] and not t["hangs"] for t in tallies.values())
    ok = ok and writers["identical to a clean run"] == writers["runs"]
    ok = ok and not outside["read outside the folder"] and not outside["hangs"]
    if not args.skip_hostile:
        print()
        hostile = subprocess.run([sys.executable, str(REPO / "benchmarks" / "hostile_files.py")], cwd=REPO,
                                 capture_output=True, text=True)
        print(hostile.stdout.strip())
        ok = ok and "every hostile file one line: True" in hostile.stdout and "peak RSS under 1.5 GB: True" in hostile.stdout
    shutil.rmtree(work, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
