"""The reliability suite's long form (issue 20), run from pytest when asked: `POLICYQA_RELIABILITY_LONG=1 pytest -s
tests/integration/test_reliability_long.py` (about 15 minutes on 2 cores). It runs `benchmarks/reliability.py`:
random kills of ingest, remove, prune and the move to a server, two writers, links and special files, hostile
files; its tally is printed and every target must hold. CI runs the fast subset instead
(`test_store_check.py`, `test_ingest_lifecycle.py`, `test_bad_input.py`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not os.environ.get("POLICYQA_RELIABILITY_LONG"),
                                 reason="the long form runs when POLICYQA_RELIABILITY_LONG=1")]
REPO = Path(__file__).resolve().parents[2]


def test_every_kill_is_repaired_nothing_hangs_nothing_outside_is_read_and_hostile_files_get_one_line():
    kills = os.environ.get("POLICYQA_RELIABILITY_KILLS", "10")
    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / "reliability.py"), "--kills", kills],
                            capture_output=True, text=True, cwd=REPO, timeout=3 * 3600)
    print(result.stdout)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
