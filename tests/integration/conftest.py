"""Fixtures of the integration tests."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from assistant.core import build_assistant
from assistant.settings import Settings


@pytest.fixture(params=["embedded", "server"])
def make_assistant(request, tmp_path, embedder):
    """Builds assistants on a fresh store (own temp dir, own collection) in embedded or server mode."""
    url = request.getfixturevalue("chroma_server") if request.param == "server" else None
    collection = f"t-{uuid.uuid4().hex[:12]}"

    def make(store: Path, **overrides):
        settings = Settings(store=store, chroma_url=url, collection=collection, **overrides)
        assistant = build_assistant(settings)
        assistant.__dict__["embedder"] = embedder
        return assistant

    make.mode = request.param
    make.url = url
    make.collection = collection
    return make
