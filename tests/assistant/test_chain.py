"""The LangChain retriever and the LCEL chain give exactly what `Assistant.ask` gives."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.core import build_assistant
from assistant.settings import Settings

pytestmark = pytest.mark.integration

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo_corpus"


@pytest.fixture(scope="module")
def small_assistant(tmp_path_factory, embedder):
    root = tmp_path_factory.mktemp("chain")
    corpus = root / "corpus"
    for name in ["eo2025/03-March/2025-03-06-executive-order-14230.md", "eo2025/02-February/2025-02-10-executive-order-14209.md"]:
        (corpus / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(DEMO / name, corpus / name)
    assistant = build_assistant(Settings(store=root / "store"))
    assistant.__dict__["embedder"] = embedder
    assistant.ingest([corpus], progress=False)
    return assistant


def test_langchain_retriever_returns_documents_with_offsets(small_assistant):
    docs = small_assistant.langchain_retriever.invoke("How quickly must agencies assess their contracts with Perkins Coie?")
    assert docs and docs[0].metadata["source"].endswith("executive-order-14230.md")
    for doc in docs:
        text = small_assistant.document_text(doc.metadata["source"])
        assert text[doc.metadata["start"]:doc.metadata["end"]] == doc.page_content


def test_lcel_chain_matches_ask(small_assistant):
    question = "For how long does the Attorney General review FCPA enforcement guidelines?"
    via_chain = small_assistant.chain.invoke({"question": question})
    direct = small_assistant.ask(question)
    assert via_chain.answer == direct.answer
    assert [c.to_json() for c in via_chain.citations] == [c.to_json() for c in direct.citations]
    assert [r.chunk_id for r in via_chain.retrieved] == [r.chunk_id for r in direct.retrieved]
