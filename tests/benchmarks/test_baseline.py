"""The LangChain tutorial baseline of benchmarks/: answer() has the `ask --json` shape and valid citations."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load_baseline():
    spec = importlib.util.spec_from_file_location("policyqa_bench_baseline", REPO / "benchmarks" / "baseline.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


DOCS = {
    "tariffs.md": (
        "# Reciprocal Tariff Order\n\n"
        "The United States goods trade deficit reached $1.2 trillion in 2024. "
        "An additional ad valorem duty of 10 percent applies to all imports from all trading partners.\n\n"
        + "Section 2. Definitions and scope of the duties on imported articles. " * 30
    ),
    "sub/minerals.md": (
        "# Critical Minerals Production\n\n"
        "The Secretary of the Interior shall identify mineral production projects for priority permitting. "
        "A single foreign producer controls over 50 percent of global copper smelting capacity.\n"
    ),
    "news.txt": (
        "India and Russia sign industrial cooperation protocol\n"
        "The two countries agreed to expand joint manufacturing in aviation and rare earth processing.\n"
    ),
}


@pytest.mark.integration
def test_baseline_answer_shape_and_citation(tmp_path: Path) -> None:
    baseline = _load_baseline()
    corpus = tmp_path / "corpus"
    for source, text in DOCS.items():
        path = corpus / source
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    (corpus / "ignored.csv").write_text("a,b\n1,2\n", encoding="utf-8")

    pipeline = baseline.BaselinePipeline(tmp_path / "store")
    report = pipeline.ingest([corpus])
    assert report.documents == 3
    assert report.chunks >= 3
    assert sorted(pipeline.texts) == sorted(DOCS)

    result = pipeline.answer("Who controls global copper smelting capacity?")
    assert set(result) >= {"question", "answer", "citations", "refused", "retrieved", "latency_ms"}
    assert result["refused"] is False
    assert isinstance(result["latency_ms"], float)
    assert 1 <= len(result["retrieved"]) <= 5
    for hit in result["retrieved"]:
        assert set(hit) == {"source", "chunk_id", "score"}
        assert hit["source"] in DOCS and hit["chunk_id"]

    assert len(result["citations"]) == 1
    citation = result["citations"][0]
    assert set(citation) >= {"n", "source", "title", "chunk_id", "quote", "start", "end", "page", "score"}
    assert citation["n"] == 1
    assert citation["source"] == "sub/minerals.md" == result["retrieved"][0]["source"]
    assert citation["chunk_id"] == result["retrieved"][0]["chunk_id"]
    assert citation["title"] == "Critical Minerals Production"
    assert "[1]" in result["answer"] and citation["quote"] in result["answer"]
    text = pipeline.document_text(citation["source"])
    assert citation["quote"] == text[citation["start"] : citation["end"]]

    # every chunk of the long document, not just the top one, keeps quote == text[start:end]
    for doc, _score in pipeline.search("ad valorem duty definitions scope", k=5):
        start = doc.metadata["start_index"]
        assert pipeline.document_text(doc.metadata["source"])[start : start + len(doc.page_content)] == doc.page_content
