#!/usr/bin/env bash
# The main job on a fresh machine: install, ingest the demo corpus, open the chat UI on http://127.0.0.1:7860
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
. .venv/bin/activate
export HF_HUB_OFFLINE=1
policyqa ingest data/demo_corpus
exec policyqa serve "$@"
