"""Cold-start time of `policyqa ask --json` (a new process each time), median of several runs.

    python benchmarks/cold_ask.py --store .policyqa --runs 5 "What rate applies to Chinese goods?"
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("question")
    parser.add_argument("--store", required=True, help="an ingested store folder")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    policyqa = os.path.join(os.path.dirname(sys.executable), "policyqa")
    times = []
    for _ in range(args.runs + 1):
        started = time.perf_counter()
        result = subprocess.run([policyqa, "ask", "--json", "--store", args.store, args.question], capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if result.returncode != 0:
            print(result.stderr, file=sys.stderr)
            return 1
    runs = times[1:]  # the first run warms the OS file cache
    print(f"cold `policyqa ask --json` over {len(runs)} runs: median {statistics.median(runs):.2f} s, "
          f"min {min(runs):.2f} s, max {max(runs):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
