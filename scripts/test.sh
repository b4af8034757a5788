#!/usr/bin/env bash
# The whole test suite on a fresh machine: install, Debian's chromium for the browser tests, then pytest.
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
exec python -m pytest -p no:cacheprovider "$@"
