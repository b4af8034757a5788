"""Peak memory and outcome of ingesting hostile files beside good ones (issue 20 item 4).

Writes, in a temporary folder: a DOCX of about 3 MB that unpacks to 1.1 GB of XML paragraphs, a 200 MB text file
on one line, a JSON file of a million tiny records, and a 90 MB one-line text file (under the size limit, over the
character limit), plus four good orders of the demo corpus. Then runs `policyqa ingest` on the folder in a child
process and prints, per hostile file, the one line it got; whether the good files were committed; the child's
peak RSS and wall time. Beside it, the named alternative: the same ingest of the good files alone (what the hostile
files cost on top). Target: every hostile file a one-line error, the good files committed, peak RSS < 1.5 GB.

Usage:  python benchmarks/hostile_files.py [--keep DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from support import machine_line

REPO = Path(__file__).resolve().parents[1]
GOOD = ["eo2025/04-April/2025-04-02-executive-order-14257.md", "eo2025/04-April/2025-04-09-executive-order-14266.md",
        "eo2025/02-February/2025-02-25-executive-order-14220.md", "seed_india_russia.txt"]


def write_docx_bomb(path: Path, unpacked_bytes: int = 1_100_000_000) -> None:
    paragraph = "<w:p><w:r><w:t>" + "tariff " * 200 + "</w:t></w:r></w:p>"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/'
                         'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>')
        with archive.open("word/document.xml", "w", force_zip64=True) as handle:
            handle.write(b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                         b'wordprocessingml/2006/main"><w:body>')
            block = (paragraph * 1000).encode()
            for _ in range(unpacked_bytes // len(block)):
                handle.write(block)
            handle.write(b"</w:body></w:document>")


def write_line(path: Path, size: int) -> None:
    with open(path, "w") as handle:
        chunk = "tariff rate " * 100_000
        written = 0
        while written < size:
            handle.write(chunk)
            written += len(chunk)


def write_records(path: Path, count: int = 1_000_000) -> None:
    with open(path, "w") as handle:
        handle.write("[")
        handle.write(",".join(json.dumps({"text": f"record {i}"}) for i in range(count)))
        handle.write("]")


_MEASURE = ("import resource, subprocess, sys; code = subprocess.call(sys.argv[2:]); "
            "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)); sys.exit(code)")


def run_ingest(folder: Path, store: Path) -> tuple[int, float, float, str, str]:
    """(exit code, seconds, peak RSS in MB, stdout, stderr) of one `policyqa ingest`, run under a small parent of
    its own so that its peak is measured alone."""
    peak_file = store.with_name(store.name + ".peak")
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", _MEASURE, str(peak_file), sys.executable, "-m", "assistant.cli",
                             "ingest", str(folder), "--store", str(store), "--quiet"],
                            capture_output=True, text=True, cwd=REPO, env={**os.environ})
    seconds = time.perf_counter() - started
    peak = int(peak_file.read_text()) / 1024 if peak_file.is_file() else float("nan")
    return result.returncode, seconds, peak, result.stdout, result.stderr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keep", type=Path, help="write the files here and keep them")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="policyqa-hostile-"))
    good, mixed = work / "good", work / "mixed"
    for folder in (good, mixed):
        for name in GOOD:
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(REPO / "data" / "demo_corpus" / name, target)
    print(f"writing hostile files into {mixed} ...", file=sys.stderr)
    hostile = {"bomb.docx": lambda p: write_docx_bomb(p), "one-line-200mb.txt": lambda p: write_line(p, 200_000_000),
               "million-records.json": write_records, "one-line-90mb.txt": lambda p: write_line(p, 90_000_000)}
    for name, write in hostile.items():
        write(mixed / name)
    sizes = {name: (mixed / name).stat().st_size / 1e6 for name in hostile}

    code, seconds, peak, out, err = run_ingest(mixed, work / "store-mixed")
    g_code, g_seconds, g_peak, g_out, _ = run_ingest(good, work / "store-good")
    print(machine_line())
    print(f"{'file':24} {'MB on disk':>10}  outcome")
    for name in hostile:
        lines = [line for line in err.splitlines() if name in line]
        print(f"{name:24} {sizes[name]:>10.1f}  {lines[0] if len(lines) == 1 else f'{len(lines)} lines: {lines}'}")
    print(f"\n{'run':34} {'exit':>4} {'seconds':>8} {'peak RSS MB':>12}  summary")
    print(f"{'good files + 4 hostile (policyqa)':34} {code:>4} {seconds:>8.1f} {peak:>12.0f}  {out.strip()[:120]}")
    print(f"{'good files alone (alternative)':34} {g_code:>4} {g_seconds:>8.1f} {g_peak:>12.0f}  {g_out.strip()[:120]}")
    committed = f"{len(GOOD)} added" in out
    one_line = all(sum(name in line for line in err.splitlines()) == 1 for name in hostile)
    print(f"\ngood files committed: {committed}; every hostile file one line: {one_line}; "
          f"peak RSS under 1.5 GB: {peak < 1536}")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
