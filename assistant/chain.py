"""The assistant as LangChain components: a retriever and an LCEL chain.

`PolicyRetriever` exposes hybrid retrieval to any LangChain pipeline; `build_chain` composes
question -> standalone query -> retrieval -> answerer as an LCEL Runnable whose steps are the
same functions `Assistant.stream` runs, so the chain and the CLI give identical answers. The
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
    """LCEL chain: {"question", "history"?, "k"?, "mode"?} -> Answer."""

    def prepare(inputs: dict) -> dict:
        mode = inputs.get("mode")
        use_llm = assistant._use_llm(mode)
        question, turns, query, result, top = assistant._prepare(inputs["question"], inputs.get("history", ()), inputs.get("k"), use_llm)
        return {"question": question, "turns": turns, "query": query, "result": result, "top": top, "use_llm": use_llm}

    def answer(state: dict) -> Answer:
        return assistant._answer(state["question"], state["turns"], state["query"], state["result"], state["top"], state["use_llm"])

    return RunnableLambda(prepare, name="retrieve") | RunnableLambda(answer, name="answer")
