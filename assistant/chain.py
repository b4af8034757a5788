"""The assistant as LangChain components: a retriever and an LCEL chain.

`PolicyRetriever` exposes hybrid retrieval to any LangChain pipeline; `build_chain` composes
question analysis -> retrieval -> answer as an LCEL Runnable whose steps are the public steps
`Assistant.stream` runs, so the chain and the CLI give identical answers. The
command line calls those functions directly, to start without importing LangChain.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda
from pydantic import ConfigDict

from assistant.answers import Answer

if TYPE_CHECKING:
    from assistant.core import Assistant


class PolicyRetriever(BaseRetriever):
    """LangChain retriever over the policyqa store: each hit is a Document with its source, offsets and scores."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    assistant: Any
    k: int = 6

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        result = self.assistant.retriever.retrieve(query, self.k)
        return [
            LCDocument(
                id=hit.chunk_id,
                page_content=hit.text,
                metadata={"source": hit.source, "title": hit.title, "start": hit.start, "end": hit.end,
                          "heading": hit.heading, "page": hit.page, "date": hit.date, "score": hit.score},
            )
            for hit in result.chunks[: self.k]
        ]


def build_chain(assistant: "Assistant") -> Runnable:
    """LCEL chain: {"question", "history"?, "k"?, "mode"?} -> Answer, from the assistant's three public steps."""

    def analyze(inputs: dict) -> dict:
        return {**inputs, "analysis": assistant.analyze(inputs["question"], inputs.get("history", ()), inputs.get("mode"))}

    def retrieve(state: dict) -> dict:
        return {**state, "result": assistant.retrieve(state["analysis"], state.get("k"))}

    def answer(state: dict) -> Answer:
        return assistant.answer(state["analysis"], state["result"], state.get("k"), state.get("mode"))

    return (RunnableLambda(analyze, name="analyze") | RunnableLambda(retrieve, name="retrieve")
            | RunnableLambda(answer, name="answer"))
