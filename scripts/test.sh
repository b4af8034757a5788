#!/usr/bin/env bash
# The whole test suite on a fresh machine: install, Debian's chromium for the browser tests, then pytest once per
# embedding path, so the suite holds on every CPU whichever path it takes:
#   auto  the defaults (questions on ONNX Runtime; ingest in bf16 on CPUs with native bf16, ONNX elsewhere)
#   onnx  everything forced onto ONNX Runtime fp32
#   bf16  everything forced onto PyTorch bf16
# POLICYQA_TEST_PATHS picks the passes (default "auto onnx bf16"); extra arguments go to pytest.
# The Chroma server the integration tests use is started on 127.0.0.1 by the test fixtures themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
if [ ! -x /usr/bin/chromium ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "warning: could not install chromium; the browser tests will be skipped" >&2
fi
. .venv/bin/activate
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
status=0
for path in ${POLICYQA_TEST_PATHS:-auto onnx bf16}; do
  case "$path" in
    auto) backend=auto dtype=auto ;;
    onnx) backend=onnx dtype=fp32 ;;
    bf16) backend=torch dtype=bf16 ;;
    *) echo "test.sh: unknown embedding path '$path' (auto, onnx or bf16)" >&2; exit 2 ;;
  esac
  echo "== test suite, embedding path: $path (backend=$backend, dtype=$dtype)"
  POLICYQA_EMBEDDING_BACKEND=$backend POLICYQA_EMBEDDING_DTYPE=$dtype \
    python -m pytest -p no:cacheprovider "$@" || status=$?
done
exit $status
