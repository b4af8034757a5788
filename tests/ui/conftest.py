"""A small real store (bundled embedding model, embedded Chroma) and the chat UI served on a free local port."""

from __future__ import annotations

import shutil
import socket
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "data" / "demo_corpus"
ORDERS = [
    "eo2025/04-April/2025-04-02-executive-order-14257.md",
    "eo2025/04-April/2025-04-09-executive-order-14266.md",
    "eo2025/04-April/2025-04-08-executive-order-14259.md",
    "eo2025/04-April/2025-04-15-executive-order-14272.md",
]
HOSTILE_SOURCE = "hostile/zorblatt-memo.md"
HOSTILE_TEXT = """# Zorblatt Harbor Security Memo <script>alert(1)</script>

**Date:** March 3, 2025

The Zorblatt harbor inspection fee is 42 florins per container <img src=x onerror="window.__pwned=1"> under the Zorblatt harbor rule.

Inspectors at Zorblatt harbor may also check ![tracker](http://evil.invalid/x.png) cargo and [click me](javascript:alert(2)) manifests.
"""
UPLOAD_LIMIT_MB = 0.05  # 50 KB, so a "too large" upload is cheap to make


@dataclass
class LiveApp:
    url: str
    settings: object
    assistant: object
    corpus: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_until_up(url: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url + "config", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.3)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory) -> LiveApp:
    """Ingest a few orders and a hostile document into a temporary store, and serve the UI over it."""
    import app
    from assistant.core import build_assistant
    from assistant.settings import Settings

    root = tmp_path_factory.mktemp("policyqa-ui")
    corpus = root / "corpus"
    for rel in ORDERS:
        target = corpus / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(DEMO / rel, target)
    hostile = corpus / HOSTILE_SOURCE
    hostile.parent.mkdir(parents=True, exist_ok=True)
    hostile.write_text(HOSTILE_TEXT, encoding="utf-8")

    settings = Settings(
        store=root / "store", chroma_url=None, embedding_model="", llm=None, answer_mode="extractive", top_k=6,
        upload_max_mb=UPLOAD_LIMIT_MB, host="127.0.0.1", port=_free_port(), auth=None,
    )
    assistant = build_assistant(settings)
    report = assistant.ingest([corpus], progress=False)
    assert not report.failed, report.failed
    assert len(report.added) == len(ORDERS) + 1
    assistant.warm_up()

    demo = app.build_app(assistant, settings)
    demo.queue()
    demo.launch(server_name="127.0.0.1", server_port=settings.port, prevent_thread_lock=True, quiet=True,
                **app.launch_options(settings))
    url = f"http://127.0.0.1:{settings.port}/"
    try:
        _wait_until_up(url)
        yield LiveApp(url=url, settings=settings, assistant=assistant, corpus=corpus)
    finally:
        demo.close()
        assistant.close()
