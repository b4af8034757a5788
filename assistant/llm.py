"""Written answers from a language model, with every claim's citation checked before it is shown.

`settings.llm` picks the chat model as "provider:model":

* `ollama:MODEL`              ChatOllama at `settings.llm_base_url` (default http://localhost:11434 or OLLAMA_HOST)
* `openai:MODEL`              ChatOpenAI with the key from OPENAI_API_KEY
* `openai-compatible:MODEL`   ChatOpenAI at `settings.llm_base_url` (vLLM, llama.cpp, LM Studio, ...), key from
                              POLICYQA_LLM_API_KEY, else OPENAI_API_KEY, else a dummy

`LLMAnswerer.stream()` numbers the retrieved chunks as sources, renders `prompts/answer.txt`, streams the
model's text as it comes, then checks every `[n]` against the cited chunk (`assistant.citations`) and
yields one `Answer` last. When the model fails (unreachable, timeout, HTTP error after the retries) or
writes nothing the sources support, the extractive answer is returned instead, with a notice saying why.
API keys come from the environment only; they are never logged nor put into answers.
"""

from __future__ import annotations

import logging
import os
import random
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Sequence

import numpy as np

from assistant.answers import Answer, Turn
from assistant.citations import CheckConfig, check_answer, strip_markers, strip_reasoning
from assistant.extractive import refusal
from prompts import Prompt, data_block, load_prompt
from vectorstore.hits import RetrievedChunk

log = logging.getLogger(__name__)

PROVIDERS = ("ollama", "openai", "openai-compatible")
ACCEPTED_FORMS = "ollama:MODEL, openai:MODEL or openai-compatible:MODEL (with --llm-base-url)"
DEFAULT_OLLAMA_URL = "http://localhost:11434"
DUMMY_API_KEY = "not-needed"
MAX_HISTORY_TURNS = 6
MAX_HISTORY_CHARS = 1000


class LLMConfigError(ValueError):
    """`settings.llm` (or its key / base URL) does not name a usable model."""


# -- providers --------------------------------------------------------------------------------------


def parse_llm_spec(spec: str | None) -> tuple[str, str]:
    """Split "provider:model" (the model may itself contain ':', e.g. ollama:llama3.1:8b)."""
    if not spec or ":" not in spec:
        raise LLMConfigError(f"language model {spec!r} is not of the form provider:model; use {ACCEPTED_FORMS}")
    provider, model = spec.split(":", 1)
    provider = provider.strip().lower()
    model = model.strip()
    if provider not in PROVIDERS:
        raise LLMConfigError(f"unknown language model provider {provider!r} in {spec!r}; use {ACCEPTED_FORMS}")
    if not model:
        raise LLMConfigError(f"no model name in {spec!r}; use {ACCEPTED_FORMS}")
    return provider, model


@dataclass(slots=True)
class ChatModelSpec:
    """A built chat model and what error messages may say about it (never the key)."""

    model: Any
    provider: str
    model_name: str
    endpoint: str
    secrets: tuple[str, ...] = field(default=(), repr=False)
    """Key values to redact from error messages; never shown."""


def make_chat_model(settings) -> ChatModelSpec:
    """The LangChain chat model `settings.llm` names, with the configured timeout and no client-side retries
    (LLMAnswerer retries itself, so the total time stays bounded)."""
    provider, model = parse_llm_spec(settings.llm)
    timeout = float(settings.llm_timeout)
    base_url = settings.llm_base_url
    if provider == "ollama":
        from langchain_ollama import ChatOllama

        endpoint = base_url or os.environ.get("OLLAMA_HOST") or DEFAULT_OLLAMA_URL
        chat = ChatOllama(model=model, base_url=base_url, temperature=0, num_predict=settings.llm_max_tokens,
                          client_kwargs={"timeout": timeout})
        return ChatModelSpec(chat, provider, model, endpoint)

    from langchain_openai import ChatOpenAI

    if provider == "openai":
        key = os.environ.get("OPENAI_API_KEY")
        if not key:
            raise LLMConfigError("openai:MODEL needs an API key in the OPENAI_API_KEY environment variable")
        kwargs: dict[str, Any] = {}
        if not _fixed_temperature_model(model):
            kwargs["temperature"] = 0
        chat = ChatOpenAI(model=model, api_key=key, base_url=base_url, timeout=timeout, max_retries=0,
                          max_tokens=settings.llm_max_tokens, **kwargs)
        return ChatModelSpec(chat, provider, model, base_url or "https://api.openai.com/v1", (key,))

    if not base_url:
        raise LLMConfigError("openai-compatible:MODEL needs the server's URL: --llm-base-url or POLICYQA_LLM_BASE_URL (e.g. http://127.0.0.1:8000/v1)")
    key = os.environ.get("POLICYQA_LLM_API_KEY") or os.environ.get("OPENAI_API_KEY") or DUMMY_API_KEY
    chat = ChatOpenAI(
        model=model, api_key=key, base_url=base_url, timeout=timeout, max_retries=0, temperature=0,
        use_responses_api=False, max_tokens=settings.llm_max_tokens,
    )
    secrets = (key,) if key != DUMMY_API_KEY else ()
    return ChatModelSpec(chat, provider, model, base_url, secrets)


def _fixed_temperature_model(model: str) -> bool:
    """OpenAI reasoning models (o1, o3, o4-mini, ...) accept only their default temperature."""
    name = model.lower()
    return len(name) > 1 and name[0] == "o" and name[1].isdigit()


# -- failures ---------------------------------------------------------------------------------------


@dataclass(slots=True)
class Failure:
    """What went wrong with a model call, in a few words, and whether trying again may help."""

    reason: str
    retryable: bool
    retry_after: float | None = None


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or exc.__context__


def _status_code(exc: BaseException) -> int | None:
    for item in _chain(exc):
        code = getattr(item, "status_code", None)
        if isinstance(code, int) and code > 0:
            return code
    return None


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    try:
        return max(0.0, float(headers.get("retry-after", "")))
    except (TypeError, ValueError):
        return None


def classify_failure(exc: BaseException, endpoint: str = "", timeout: float | None = None) -> Failure:
    """Turn an exception of any provider client into a short reason; 429 and 5xx are retryable."""
    import httpx

    timeouts: tuple[type, ...] = (TimeoutError, httpx.TimeoutException)
    connections: tuple[type, ...] = (ConnectionError, httpx.ConnectError, httpx.NetworkError)
    try:
        import openai

        timeouts += (openai.APITimeoutError,)
        connections += (openai.APIConnectionError,)
    except ImportError:  # pragma: no cover - openai is a dependency
        pass
    from langchain_core.exceptions import ModelConnectionError, ModelTimeoutError

    timeouts += (ModelTimeoutError,)
    connections += (ModelConnectionError,)

    chain = list(_chain(exc))
    if any(isinstance(item, timeouts) for item in chain):
        after = f" after {timeout:g} s" if timeout else ""
        return Failure(f"no response{after} (timed out)", retryable=False)
    code = _status_code(exc)
    if code is None:  # LangChain's provider-neutral errors carry the meaning in their type
        from langchain_core.exceptions import ModelAPIError, ModelRateLimitError

        if any(isinstance(item, ModelRateLimitError) for item in chain):
            code = 429
        elif any(isinstance(item, ModelAPIError) for item in chain):
            return Failure("server error", retryable=True, retry_after=_retry_after(exc))
    if code == 429:
        return Failure("rate limited, HTTP 429", retryable=True, retry_after=_retry_after(exc))
    if code is not None and code >= 500:
        return Failure(f"server error, HTTP {code}", retryable=True, retry_after=_retry_after(exc))
    if code is not None:
        detail = _first_line(getattr(exc, "message", None) or str(exc))
        return Failure(f"HTTP {code}: {detail}" if detail else f"HTTP {code}", retryable=False)
    if any(isinstance(item, connections) for item in chain):
        where = f" at {endpoint}" if endpoint else ""
        return Failure(f"cannot reach the language model server{where}; is it running?", retryable=False)
    detail = _first_line(str(exc))
    return Failure(f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__, retryable=False)


def _first_line(text: str, limit: int = 160) -> str:
    line = " ".join(str(text).strip().splitlines()[:1]).strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


# -- streaming helpers ------------------------------------------------------------------------------


class _ReasoningFilter:
    """Hides `<think>...</think>` blocks from the streamed text (tags may be split across pieces)."""

    OPEN, CLOSE = "<think>", "</think>"

    def __init__(self) -> None:
        self.buffer = ""
        self.inside = False

    def feed(self, piece: str) -> str:
        self.buffer += piece
        shown: list[str] = []
        while self.buffer:
            tag = self.CLOSE if self.inside else self.OPEN
            index = self.buffer.find(tag)
            if index >= 0:
                if not self.inside:
                    shown.append(self.buffer[:index])
                self.buffer = self.buffer[index + len(tag) :]
                self.inside = not self.inside
                continue
            keep = _partial_suffix(self.buffer, tag)
            if not self.inside:
                shown.append(self.buffer[: len(self.buffer) - keep])
            self.buffer = self.buffer[len(self.buffer) - keep :]
            break
        return "".join(shown)

    def flush(self) -> str:
        rest, self.buffer = ("" if self.inside else self.buffer), ""
        return rest


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest end of `text` that could be the start of `tag`."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0


def _piece_text(chunk: Any) -> str:
    text = getattr(chunk, "text", None)
    if isinstance(text, str):
        return text
    if callable(text):  # langchain-core < 1.0
        return str(text())
    content = getattr(chunk, "content", chunk)
    return content if isinstance(content, str) else ""


class _ModelFailed(Exception):
    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.reason)
        self.failure = failure


# -- the answerer -----------------------------------------------------------------------------------


def format_sources(chunks: Sequence[RetrievedChunk]) -> str:
    """The numbered sources as delimited, escaped data blocks: `<source n="1" title="...">text</source>`."""
    return "\n\n".join(
        data_block("source", chunk.text, n=n, title=chunk.title or None, document=chunk.source,
                   date=chunk.date, section=chunk.heading or None, page=chunk.page)
        for n, chunk in enumerate(chunks, start=1)
    )


def format_history(turns: Sequence[Turn]) -> str:
    """The last turns of the conversation as one escaped `<history>` block (markers dropped: they named other sources)."""
    recent = list(turns)[-MAX_HISTORY_TURNS:]
    if not recent:
        return "(none)"
    lines = []
    for turn in recent:
        content = strip_markers(turn.content)
        if len(content) > MAX_HISTORY_CHARS:
            content = content[: MAX_HISTORY_CHARS - 1] + "…"
        lines.append(f"{turn.role}: {content}")
    return data_block("history", "\n".join(lines))


class LLMAnswerer:
    """Streams a chat model's answer from numbered sources, then checks every citation before it is shown.

    `chat_model` is any LangChain chat model (tests inject fake ones); `embed` embeds texts into
    L2-normalised vectors; `document_text(source)` returns the text every chunk offset refers to.
    """

    def __init__(
        self,
        chat_model: Any,
        embed: Callable[[Sequence[str]], np.ndarray],
        document_text: Callable[[str], str | None],
        *,
        max_retries: int = 2,
        backoff: float = 0.5,
        max_backoff: float = 8.0,
        timeout: float | None = None,
        answer_seconds: float | None = None,
        check: CheckConfig | None = None,
        answer_prompt: Prompt | None = None,
        rewrite_prompt: Prompt | None = None,
        endpoint: str = "",
        secrets: Sequence[str] = (),
        name: str = "",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.chat_model = chat_model
        self.embed = embed
        self.document_text = document_text
        self.max_retries = max(0, int(max_retries))
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.timeout = timeout
        self.answer_seconds = answer_seconds
        self.check = check or CheckConfig()
        self.answer_prompt = answer_prompt or load_prompt("answer")
        self.rewrite_prompt = rewrite_prompt or load_prompt("rewrite")
        self.endpoint = endpoint
        self._secrets = tuple(s for s in secrets if s)
        self.name = name or type(chat_model).__name__
        self._sleep = sleep

    def __repr__(self) -> str:  # never shows the key
        return f"LLMAnswerer({self.name!r}, endpoint={self.endpoint!r})"

    # prompts ------------------------------------------------------------------------------------
    def messages(self, question: str, turns: Sequence[Turn], chunks: Sequence[RetrievedChunk]) -> list:
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
        rendered = self.answer_prompt.render(question=question, history=format_history(turns), sources=format_sources(chunks))
        return [kinds[m.role](content=m.content) for m in rendered]

    # model calls with bounded retries ---------------------------------------------------------------
    def _delay(self, attempt: int, failure: Failure) -> float:
        delay = self.backoff * (2**attempt) * (1 + 0.1 * random.random())
        if failure.retry_after is not None:
            delay = max(delay, failure.retry_after)
        return min(delay, self.max_backoff)

    def _failure(self, exc: BaseException) -> Failure:
        failure = classify_failure(exc, self.endpoint, self.timeout)
        failure.reason = self._redact(failure.reason)
        return failure

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _stream_text(self, messages: list) -> Iterator[str]:
        """The model's text pieces; 429/5xx before the first piece are retried with exponential backoff.
        Raises _ModelFailed with a short reason when the call cannot be completed, or when the model is still
        writing after `answer_seconds` (a model that rambles is stopped: the token cap is the server's to keep,
        the time cap is ours)."""
        attempt = 0
        deadline = time.monotonic() + self.answer_seconds if self.answer_seconds else None
        while True:
            started = False
            try:
                for chunk in self.chat_model.stream(messages):
                    piece = _piece_text(chunk)
                    if piece:
                        started = True
                        yield piece
                    if deadline is not None and time.monotonic() > deadline:
                        raise _ModelFailed(Failure(f"still writing after {self.answer_seconds:g} s", retryable=False))
                return
            except _ModelFailed:
                raise
            except GeneratorExit:
                raise
            except Exception as exc:  # noqa: BLE001 - every provider raises its own types
                failure = self._failure(exc)
                if failure.retryable and not started and attempt < self.max_retries:
                    delay = self._delay(attempt, failure)
                    log.info("language model %s (%s); retrying in %.2f s", self.name, failure.reason, delay)
                    self._sleep(delay)
                    attempt += 1
                    continue
                if failure.retryable and attempt:
                    failure.reason += f" after {attempt + 1} attempts"
                raise _ModelFailed(failure) from None

    def _invoke_text(self, messages: list) -> str:
        return "".join(self._stream_text(messages))

    # answering ----------------------------------------------------------------------------------
    def stream(
        self,
        question: str,
        turns: Sequence[Turn],
        chunks: Sequence[RetrievedChunk],
        query_vector: np.ndarray | None = None,
        fallback: Callable[[], Answer] | None = None,
    ) -> Iterator[str | Answer]:
        """Yield the answer text as the model writes it, then exactly one checked `Answer` (always last)."""
        chunks = list(chunks)
        if not chunks:
            answer = refusal(question, chunks)
            answer.mode = "llm"
            yield answer
            return
        messages = self.messages(question, turns, chunks)
        pieces: list[str] = []
        shown = _ReasoningFilter()
        try:
            for piece in self._stream_text(messages):
                pieces.append(piece)
                visible = shown.feed(piece)
                if visible:
                    yield visible
            rest = shown.flush()
            if rest:
                yield rest
        except _ModelFailed as failed:
            log.warning("language model %s failed: %s", self.name, failed.failure.reason)
            yield self._fallback(question, chunks, fallback, f"language model failed ({failed.failure.reason})")
            return
        yield self.finish(question, "".join(pieces), chunks, fallback)

    def answer(self, question: str, turns: Sequence[Turn], chunks: Sequence[RetrievedChunk],
               query_vector: np.ndarray | None = None, fallback: Callable[[], Answer] | None = None) -> Answer:
        """The finished answer without streaming."""
        result = None
        for event in self.stream(question, turns, chunks, query_vector, fallback):
            if isinstance(event, Answer):
                result = event
        assert result is not None
        return result

    def finish(self, question: str, raw: str, chunks: Sequence[RetrievedChunk],
               fallback: Callable[[], Answer] | None = None) -> Answer:
        """Check the model's full text against the sources and build the Answer."""
        if not raw.strip():
            return self._fallback(question, chunks, fallback, "language model returned an empty answer")
        checked = check_answer(raw, chunks, self.embed, self.document_text, self.check)
        if checked.refusal:
            answer = refusal(question, chunks)
            answer.mode = "llm"
            return answer
        if checked.supported_claims == 0:
            return self._fallback(
                question, chunks, fallback, "language model answer had no claim the cited sources support"
            )
        notice = None
        if checked.unsupported_claims:
            count = checked.unsupported_claims
            notice = (
                f"{count} of {len(checked.claims)} claims could not be matched to their cited sources "
                f"and are marked {self.check.unsupported_mark or 'unsupported'}"
            )
        return Answer(
            question=question,
            answer=checked.text,
            citations=checked.citations,
            refused=False,
            mode="llm",
            sentences=checked.sentences_json(),
            notice=notice,
        )

    def _fallback(self, question: str, chunks: Sequence[RetrievedChunk], fallback: Callable[[], Answer] | None,
                  reason: str) -> Answer:
        answer = fallback() if fallback is not None else refusal(question, chunks)
        answer.mode = "extractive"
        answer.notice = f"{reason}; showing the extractive answer"
        return answer

    # follow-up rewriting --------------------------------------------------------------------------
    def rewrite_question(self, question: str, turns: Sequence[Turn]) -> str:
        """A standalone form of a follow-up question for retrieval (`prompts/rewrite.txt`); the question itself
        when there is no history or the model fails."""
        if not turns:
            return question
        from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

        kinds = {"system": SystemMessage, "user": HumanMessage, "assistant": AIMessage}
        rendered = self.rewrite_prompt.render(question=question, history=format_history(turns))
        try:
            text = self._invoke_text([kinds[m.role](content=m.content) for m in rendered])
        except _ModelFailed as failed:
            log.warning("question rewrite failed (%s); searching with the question as asked", failed.failure.reason)
            return question
        lines = [line.strip().strip('"“”') for line in strip_reasoning(text).strip().splitlines() if line.strip()]
        return lines[0] if lines and len(lines[0]) <= 1000 else question


def build_llm_answerer(settings, assistant, **options: Any) -> LLMAnswerer:
    """The answerer `settings.llm` configures, using the assistant's embedder and document texts.

    `options` go to LLMAnswerer (e.g. `backoff`, `check`); `max_retries` and `timeout` default to the settings.
    """
    spec = make_chat_model(settings)
    retriever = getattr(assistant, "retriever", None)
    document_text = getattr(retriever, "document_text", None) or assistant.document_text
    options.setdefault("max_retries", settings.llm_max_retries)
    options.setdefault("timeout", settings.llm_timeout)
    options.setdefault("answer_seconds", settings.llm_answer_seconds)
    return LLMAnswerer(
        spec.model,
        assistant.embedder.embed,
        document_text,
        endpoint=spec.endpoint,
        secrets=spec.secrets,
        name=f"{spec.provider}:{spec.model_name}",
        **options,
    )
