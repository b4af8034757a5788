#!/usr/bin/env bash
# Creates .venv and installs policyqa with everything it needs, offline-capable afterwards.
# torch is pinned to 2.13.0 first: that version is the CPU build; any other resolution pulls a multi-GB CUDA build.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
. .venv/bin/activate
python -m pip install --quiet --upgrade pip
python -m pip install --quiet "torch==2.13.0"
python -m pip install --quiet -e ".[${POLICYQA_EXTRAS:-test,bench}]"
echo "installed: $(python -c 'import importlib.metadata as m; print("policyqa", m.version("policyqa"), "torch", m.version("torch"))')"
