"""The language-model answerer (assistant/llm.py): providers, streaming, checked citations, failures.

A real language model cannot run in CI here (no GPU, no model weights, no network), so LangChain's
fake chat models (`langchain_core.language_models.fake_chat_models`) stand in for it in the unit
tests, and a small OpenAI-compatible HTTP server on 127.0.0.1 (stdlib http.server in a thread,
canned completions, streamed as SSE) stands in for a model server in the integration tests, which
drive the real langchain-openai client through `openai-compatible:MODEL`. Sources are two real
documents of data/demo_corpus read from disk; the embedder is the real bundled model.
"""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterator

import pytest
from langchain_core.exceptions import ModelAPIError, ModelRateLimitError, ModelTimeoutError
from langchain_core.language_models.fake_chat_models import FakeListChatModel, GenericFakeChatModel
from langchain_core.messages import HumanMessage, SystemMessage

from assistant.answers import Answer, Citation
from assistant.llm import LLMAnswerer, LLMConfigError, build_llm_answerer, classify_failure, make_chat_model, parse_llm_spec
from assistant.settings import Settings
from vectorstore.hits import RetrievedChunk

CORPUS = Path(__file__).resolve().parents[2] / "data" / "demo_corpus"
INDIA = "seed_india_russia.txt"
EO = "eo2025/04-April/2025-04-02-executive-order-14257.md"

GOOD_ANSWER = (
    "India and Russia signed a new protocol to boost industrial cooperation in aluminium, fertilisers, railways and mining [1]. "
    "Nearly 80 delegates from both sides discussed collaboration in aerospace and rare earths [1][9].\n\n"
    "Separately, the President declared a national emergency with respect to this threat [2]."
)
EXTRACTIVE = "Extractive: India and Russia on Wednesday signed a new protocol [1]."


# -- fixtures ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def chunks(chunk_between) -> list[RetrievedChunk]:
    return [
        chunk_between(INDIA, "New Delhi: India and Russia", "especially energy, and its expanding role in blocs like Brics.", "India, Russia sign industrial protocol"),
        chunk_between(EO, "By the authority vested in me", "I hereby declare a national emergency with respect to this threat.", "Executive Order 14257"),
    ]


@pytest.fixture(autouse=True)
def no_keys(monkeypatch):
    for name in ("OPENAI_API_KEY", "POLICYQA_LLM_API_KEY", "OPENAI_API_BASE", "OPENAI_BASE_URL", "OLLAMA_HOST"):
        monkeypatch.delenv(name, raising=False)


def extractive_fallback(chunks: list[RetrievedChunk], documents: dict[str, str]):
    chunk = chunks[0]
    quote = "New Delhi: India and Russia on Wednesday signed a new protocol"
    start = documents[chunk.source].index(quote)

    def fallback() -> Answer:
        citation = Citation(n=1, source=chunk.source, title=chunk.title, chunk_id=chunk.chunk_id, quote=quote, start=start, end=start + len(quote))
        return Answer(question="q", answer=EXTRACTIVE, citations=[citation], mode="extractive")

    return fallback


def answerer(model, embedder, documents, **options) -> LLMAnswerer:
    options.setdefault("backoff", 0.001)
    return LLMAnswerer(model, embedder.embed, documents.get, **options)


def run(answerer: LLMAnswerer, chunks, documents, question: str = "What did India and Russia sign?") -> tuple[list[str], Answer]:
    events = list(answerer.stream(question, [], chunks, None, fallback=extractive_fallback(chunks, documents)))
    assert events and isinstance(events[-1], Answer)
    assert sum(isinstance(e, Answer) for e in events) == 1, "exactly one Answer, last"
    return [e for e in events[:-1]], events[-1]


def assert_citation_invariant(answer: Answer, documents: dict[str, str]) -> None:
    for citation in answer.citations:
        assert citation.quote == documents[citation.source][citation.start : citation.end]


class FlakyChatModel(GenericFakeChatModel):
    """A fake chat model that raises the given errors on its first calls, then answers."""

    failures: list = []
    calls: int = 0

    def _stream(self, *args: Any, **kwargs: Any) -> Iterator:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        yield from super()._stream(*args, **kwargs)


# -- providers ----------------------------------------------------------------------------------------


def test_provider_spec_forms():
    assert parse_llm_spec("ollama:llama3.1:8b") == ("ollama", "llama3.1:8b")
    assert parse_llm_spec("OpenAI:gpt-4o-mini") == ("openai", "gpt-4o-mini")
    assert parse_llm_spec("openai-compatible:qwen2.5") == ("openai-compatible", "qwen2.5")
    for bad in ("anthropic:claude", "llama3", "ollama:", None):
        with pytest.raises(ValueError, match="ollama:MODEL, openai:MODEL or openai-compatible:MODEL"):
            parse_llm_spec(bad)


def test_chat_models_are_built_from_settings(monkeypatch, tmp_path):
    from langchain_ollama import ChatOllama
    from langchain_openai import ChatOpenAI

    spec = make_chat_model(Settings(store=tmp_path, llm="ollama:llama3.1", llm_base_url="http://127.0.0.1:11500", llm_timeout=7))
    assert isinstance(spec.model, ChatOllama) and spec.model.model == "llama3.1"
    assert spec.model.base_url == "http://127.0.0.1:11500" and spec.model.client_kwargs["timeout"] == 7

    with pytest.raises(LLMConfigError, match="OPENAI_API_KEY"):
        make_chat_model(Settings(store=tmp_path, llm="openai:gpt-4o-mini"))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-openai-key")
    spec = make_chat_model(Settings(store=tmp_path, llm="openai:gpt-4o-mini", llm_timeout=9))
    assert isinstance(spec.model, ChatOpenAI) and spec.model.request_timeout == 9 and spec.model.max_retries == 0
    assert "sk-secret-openai-key" not in repr(spec.model) and "sk-secret-openai-key" not in repr(spec)

    with pytest.raises(LLMConfigError, match="llm-base-url"):
        make_chat_model(Settings(store=tmp_path, llm="openai-compatible:qwen"))
    monkeypatch.setenv("POLICYQA_LLM_API_KEY", "local-key")
    spec = make_chat_model(Settings(store=tmp_path, llm="openai-compatible:qwen", llm_base_url="http://127.0.0.1:8000/v1"))
    assert spec.model.openai_api_key.get_secret_value() == "local-key" and spec.model.openai_api_base == "http://127.0.0.1:8000/v1"
    monkeypatch.delenv("POLICYQA_LLM_API_KEY")
    monkeypatch.delenv("OPENAI_API_KEY")
    spec = make_chat_model(Settings(store=tmp_path, llm="openai-compatible:qwen", llm_base_url="http://127.0.0.1:8000/v1"))
    assert spec.model.openai_api_key.get_secret_value() == "not-needed"


def test_failures_are_classified():
    assert classify_failure(ModelRateLimitError("slow down")).retryable
    assert classify_failure(ModelTimeoutError("late"), timeout=2).reason == "no response after 2 s (timed out)"
    refused = classify_failure(ConnectionRefusedError(111, "Connection refused"), endpoint="http://127.0.0.1:9")
    assert refused.reason == "cannot reach the language model server at http://127.0.0.1:9; is it running?" and not refused.retryable
    assert not classify_failure(ValueError("bad\nsecond line")).retryable
    assert classify_failure(ValueError("bad\nsecond line")).reason == "ValueError: bad"


# -- unit: fake chat models ---------------------------------------------------------------------------


def test_prompt_messages_hold_numbered_sources(embedder, documents, chunks):
    model = GenericFakeChatModel(messages=iter([]))
    system, user = answerer(model, embedder, documents).messages("What did they sign?", [], chunks)
    assert isinstance(system, SystemMessage) and isinstance(user, HumanMessage)
    assert "The documents do not answer this." in system.content
    assert '<source n="1" title="India, Russia sign industrial protocol" document="seed_india_russia.txt">' in user.content
    assert '<source n="2" title="Executive Order 14257"' in user.content
    assert "Question: What did they sign?" in user.content


def test_streams_pieces_in_order_then_one_checked_answer(embedder, documents, chunks):
    model = GenericFakeChatModel(messages=iter([GOOD_ANSWER]))
    pieces, answer = run(answerer(model, embedder, documents), chunks, documents)
    assert len(pieces) > 10 and all(isinstance(p, str) for p in pieces)
    assert "".join(pieces) == GOOD_ANSWER  # nothing held back or stripped while streaming
    assert answer.mode == "llm" and not answer.refused and answer.notice is None
    # [1] is used by two claims with two different passages, [9] names no source, [2] comes last: renumbered 1..3
    assert answer.answer == (
        "India and Russia signed a new protocol to boost industrial cooperation in aluminium, fertilisers, railways and mining [1]. "
        "Nearly 80 delegates from both sides discussed collaboration in aerospace and rare earths [2].\n\n"
        "Separately, the President declared a national emergency with respect to this threat [3]."
    )
    assert [c.n for c in answer.citations] == [1, 2, 3]
    assert [c.source for c in answer.citations] == [INDIA, INDIA, EO]
    assert "80 delegates" in answer.citations[1].quote
    assert answer.citations[2].quote == "I hereby declare a national emergency with respect to this threat."
    assert answer.sentences == [
        {"text": "India and Russia signed a new protocol to boost industrial cooperation in aluminium, fertilisers, railways and mining.", "citations": [1], "supported": True},
        {"text": "Nearly 80 delegates from both sides discussed collaboration in aerospace and rare earths.", "citations": [2], "supported": True},
        {"text": "Separately, the President declared a national emergency with respect to this threat.", "citations": [3], "supported": True},
    ]
    assert_citation_invariant(answer, documents)
    assert json.dumps(answer.to_json())  # serialisable as `ask --json`


def test_an_unsupported_claim_is_flagged(embedder, documents, chunks):
    text = (
        "India and Russia signed a new protocol to boost industrial cooperation [1]. "
        "The protocol also creates a free trade area for all goods by 2027 [1]."
    )
    model = GenericFakeChatModel(messages=iter([text]))
    _, answer = run(answerer(model, embedder, documents), chunks, documents)
    assert answer.mode == "llm"
    assert [s["supported"] for s in answer.sentences] == [True, False]
    # its closest passage is the one the first claim quotes, so it shares citation [1]
    assert answer.answer.endswith("by 2027 [1]. [unsupported]")
    assert [s["citations"] for s in answer.sentences] == [[1], [1]] and len(answer.citations) == 1
    assert answer.notice == "1 of 2 claims could not be matched to their cited sources and are marked [unsupported]"
    assert_citation_invariant(answer, documents)


def test_the_refusal_sentence_gives_a_refusal_with_the_closest_documents(embedder, documents, chunks):
    model = GenericFakeChatModel(messages=iter(["The documents do not answer this."]))
    pieces, answer = run(answerer(model, embedder, documents), chunks, documents, "What is the tariff on Brazilian coffee?")
    assert "".join(pieces) == "The documents do not answer this."
    assert answer.refused and answer.mode == "llm" and answer.citations == []
    assert "The closest documents are: India, Russia sign industrial protocol (seed_india_russia.txt); Executive Order 14257" in answer.answer


def test_a_failing_model_falls_back_to_the_extractive_answer(embedder, documents, chunks):
    model = FakeListChatModel(responses=["never shown"], error_on_chunk_number=0)
    pieces, answer = run(answerer(model, embedder, documents), chunks, documents)
    assert pieces == []
    assert answer.answer == EXTRACTIVE and answer.mode == "extractive"
    assert answer.notice == "language model failed (FakeListChatModelError); showing the extractive answer"
    assert_citation_invariant(answer, documents)


def test_a_model_still_writing_past_the_time_cap_is_stopped(embedder, documents, chunks):
    """A rambling model (SmolLM2 wrote for 60 s) is cut at `answer_seconds` and the quoted answer shown."""
    model = FakeListChatModel(responses=[GOOD_ANSWER * 20], sleep=0.01)
    pieces, answer = run(answerer(model, embedder, documents, answer_seconds=0.3), chunks, documents)
    assert 0 < len("".join(pieces)) < len(GOOD_ANSWER * 20), "cut part-way"
    assert answer.mode == "extractive" and answer.answer == EXTRACTIVE
    assert answer.notice == "language model failed (still writing after 0.3 s); showing the extractive answer"


def test_a_timeout_falls_back_without_retrying(embedder, documents, chunks):
    model = FlakyChatModel(messages=iter([GOOD_ANSWER]), failures=[ModelTimeoutError("read timed out")])
    _, answer = run(answerer(model, embedder, documents, timeout=1.5, max_retries=3), chunks, documents)
    assert model.calls == 1
    assert answer.mode == "extractive"
    assert answer.notice == "language model failed (no response after 1.5 s (timed out)); showing the extractive answer"


def test_rate_limits_and_server_errors_are_retried_with_backoff(embedder, documents, chunks):
    delays: list[float] = []
    model = FlakyChatModel(messages=iter([GOOD_ANSWER]), failures=[ModelRateLimitError("429"), ModelAPIError("502")])
    _, answer = run(answerer(model, embedder, documents, max_retries=2, backoff=0.1, sleep=delays.append), chunks, documents)
    assert model.calls == 3 and answer.mode == "llm" and answer.notice is None
    assert len(delays) == 2 and 0.1 <= delays[0] < delays[1] <= 0.25  # exponential, bounded

    model = FlakyChatModel(messages=iter([GOOD_ANSWER]), failures=[ModelRateLimitError("429")] * 3)
    _, answer = run(answerer(model, embedder, documents, max_retries=1, sleep=delays.append), chunks, documents)
    assert model.calls == 2 and answer.mode == "extractive"
    assert answer.notice == "language model failed (rate limited, HTTP 429 after 2 attempts); showing the extractive answer"


def test_an_answer_without_any_supported_claim_falls_back(embedder, documents, chunks):
    model = GenericFakeChatModel(messages=iter(["Bananas are yellow and the moon is made of cheese."]))
    _, answer = run(answerer(model, embedder, documents), chunks, documents)
    assert answer.mode == "extractive" and answer.answer == EXTRACTIVE
    assert answer.notice == "language model answer had no claim the cited sources support; showing the extractive answer"


def test_reasoning_is_not_streamed(embedder, documents, chunks):
    text = "<think>The user wants [2].</think>I hereby declare a national emergency with respect to this threat [2]."
    model = GenericFakeChatModel(messages=iter([text]))
    pieces, answer = run(answerer(model, embedder, documents), chunks, documents)
    assert "".join(pieces) == "I hereby declare a national emergency with respect to this threat [2]."
    assert answer.answer == "I hereby declare a national emergency with respect to this threat [1]."


def test_no_sources_means_a_refusal_without_calling_the_model(embedder, documents):
    model = FlakyChatModel(messages=iter([GOOD_ANSWER]))
    events = list(answerer(model, embedder, documents).stream("q", [], [], None, fallback=lambda: Answer("q", EXTRACTIVE)))
    assert len(events) == 1 and events[0].refused and model.calls == 0


def test_follow_up_rewrite_uses_the_history(embedder, documents):
    from assistant.answers import Turn

    model = GenericFakeChatModel(messages=iter(['"When did India and Russia sign the industrial protocol?"\n']))
    rewritten = answerer(model, embedder, documents).rewrite_question(
        "When was it signed?", [Turn("user", "What did India and Russia sign?"), Turn("assistant", "A protocol [1].")]
    )
    assert rewritten == "When did India and Russia sign the industrial protocol?"


# -- integration: a local OpenAI-compatible server ------------------------------------------------------


class FakeOpenAIServer:
    """Serves POST /v1/chat/completions from a script of canned replies (streamed as SSE when asked)."""

    def __init__(self) -> None:
        self.script: list[dict] = []
        self.requests: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output quiet
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                server.requests.append({"path": self.path, "body": body, "authorization": self.headers.get("Authorization")})
                step = server.script.pop(0) if server.script else {"content": "The documents do not answer this."}
                try:
                    self.reply(step, body)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def reply(self, step: dict, body: dict) -> None:
                time.sleep(step.get("delay", 0))
                if self.path != "/v1/chat/completions":
                    return self.send_json(404, {"error": {"message": "not found"}})
                status = step.get("status", 200)
                if status != 200:
                    return self.send_json(status, {"error": {"message": f"canned {status}", "type": "server_error"}})
                content = step["content"]
                if not body.get("stream"):
                    return self.send_json(200, {
                        "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": body.get("model"),
                        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    })
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.send_header("Connection", "close")
                self.end_headers()
                words = content.split(" ")
                pieces = [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
                for index, piece in enumerate(pieces):
                    delta = {"content": piece} if index else {"role": "assistant", "content": piece}
                    self.send_event({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": body.get("model"),
                                     "choices": [{"index": 0, "delta": delta, "finish_reason": None}]})
                if step.get("raw_event"):
                    self.wfile.write(step["raw_event"].encode())
                self.send_event({"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": body.get("model"),
                                 "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True

            def send_event(self, payload: dict) -> None:
                self.wfile.write(f"data: {json.dumps(payload)}\n\n".encode())
                self.wfile.flush()

            def send_json(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            block_on_close = False

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[FakeOpenAIServer]:
    fake = FakeOpenAIServer()
    yield fake
    fake.close()


def http_answerer(server_url: str, embedder, documents, tmp_path, timeout: float = 1.0, retries: int = 2) -> LLMAnswerer:
    settings = Settings(store=tmp_path, llm="openai-compatible:test-model", llm_base_url=server_url,
                        llm_timeout=timeout, llm_max_retries=retries, answer_mode="llm")
    assistant = SimpleNamespace(embedder=embedder, retriever=SimpleNamespace(document_text=documents.get))
    return build_llm_answerer(settings, assistant, backoff=0.01, max_backoff=0.05)


@pytest.mark.integration
def test_http_streamed_answer_with_checked_citations(server, embedder, documents, chunks, tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("POLICYQA_LLM_API_KEY", "sk-very-secret-test-key")
    server.script = [{"content": GOOD_ANSWER}]
    caplog.set_level(logging.DEBUG)
    pieces, answer = run(http_answerer(server.url, embedder, documents, tmp_path), chunks, documents)
    assert len(server.requests) == 1
    request = server.requests[0]
    assert request["body"]["stream"] is True and request["body"]["model"] == "test-model"
    assert 600 in (request["body"].get("max_tokens"), request["body"].get("max_completion_tokens")), "the token cap"
    assert request["authorization"] == "Bearer sk-very-secret-test-key"
    assert [m["role"] for m in request["body"]["messages"]] == ["system", "user"]
    assert len(pieces) > 10 and "".join(pieces) == GOOD_ANSWER
    assert answer.mode == "llm" and [c.n for c in answer.citations] == [1, 2, 3]
    assert all(s["supported"] for s in answer.sentences)
    assert "[9]" not in answer.answer
    assert_citation_invariant(answer, documents)
    assert "sk-very-secret-test-key" not in json.dumps(answer.to_json()) + caplog.text


@pytest.mark.integration
def test_http_timeout_falls_back(server, embedder, documents, chunks, tmp_path):
    server.script = [{"delay": 2.5, "content": GOOD_ANSWER}]
    started = time.perf_counter()
    _, answer = run(http_answerer(server.url, embedder, documents, tmp_path, timeout=1.0), chunks, documents)
    assert time.perf_counter() - started < 2.4  # gave up after llm_timeout, no retry of a timeout
    assert len(server.requests) == 1
    assert answer.mode == "extractive" and answer.answer == EXTRACTIVE
    assert answer.notice == "language model failed (no response after 1 s (timed out)); showing the extractive answer"


@pytest.mark.integration
def test_http_server_error_falls_back_after_retries(server, embedder, documents, chunks, tmp_path):
    server.script = [{"status": 500}, {"status": 500}]
    _, answer = run(http_answerer(server.url, embedder, documents, tmp_path, retries=1), chunks, documents)
    assert len(server.requests) == 2
    assert answer.mode == "extractive"
    assert answer.notice == "language model failed (server error, HTTP 500 after 2 attempts); showing the extractive answer"


@pytest.mark.integration
def test_http_rate_limit_then_success(server, embedder, documents, chunks, tmp_path):
    server.script = [{"status": 429}, {"content": GOOD_ANSWER}]
    _, answer = run(http_answerer(server.url, embedder, documents, tmp_path, retries=2), chunks, documents)
    assert len(server.requests) == 2
    assert answer.mode == "llm" and answer.notice is None and len(answer.citations) == 3
    assert_citation_invariant(answer, documents)


@pytest.mark.integration
def test_http_garbage_without_markers_falls_back(server, embedder, documents, chunks, tmp_path):
    """Decision: an answer none of whose claims the sources support is not shown; the extractive answer is, with a notice."""
    server.script = [{"content": "lorem ipsum %%% <<>> {{ }} dolor sit amet consectetur adipiscing"}]
    _, answer = run(http_answerer(server.url, embedder, documents, tmp_path), chunks, documents)
    assert answer.mode == "extractive" and answer.answer == EXTRACTIVE
    assert answer.notice == "language model answer had no claim the cited sources support; showing the extractive answer"


@pytest.mark.integration
def test_http_malformed_stream_falls_back(server, embedder, documents, chunks, tmp_path):
    server.script = [{"content": "India and Russia signed", "raw_event": "data: {not json\n\n"}]
    _, answer = run(http_answerer(server.url, embedder, documents, tmp_path), chunks, documents)
    assert answer.mode == "extractive"
    assert answer.notice.startswith("language model failed (") and answer.notice.endswith("); showing the extractive answer")


@pytest.mark.integration
def test_unreachable_servers_give_one_clear_line(embedder, documents, chunks, tmp_path):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/v1"
    _, answer = run(http_answerer(url, embedder, documents, tmp_path), chunks, documents)
    assert answer.notice == f"language model failed (cannot reach the language model server at {url}; is it running?); showing the extractive answer"

    settings = Settings(store=tmp_path, llm="ollama:llama3.1", llm_base_url=f"http://127.0.0.1:{port}", llm_timeout=1, answer_mode="llm")
    assistant = SimpleNamespace(embedder=embedder, retriever=SimpleNamespace(document_text=documents.get))
    _, answer = run(build_llm_answerer(settings, assistant, backoff=0.01), chunks, documents)
    assert answer.mode == "extractive" and "\n" not in answer.notice
    assert answer.notice == f"language model failed (cannot reach the language model server at http://127.0.0.1:{port}; is it running?); showing the extractive answer"
