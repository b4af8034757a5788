"""The one settings object: defaults, then an optional TOML file, then `POLICYQA_*` env vars, then CLI flags."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_STORE_DIR = Path(".policyqa")
DEFAULT_CONFIG_FILE = "policyqa.toml"


TOP_K_MAX = 50  # the most passages one answer may retrieve, from any caller (CLI, UI, HTTP API)


class Settings(BaseSettings):
    """Everything a user can configure. Unknown keys are an error, so typos never pass silently."""

    model_config = SettingsConfigDict(env_prefix="POLICYQA_", extra="forbid", validate_assignment=True)

    store: Path = Field(DEFAULT_STORE_DIR, description="Folder of the store: manifest, lexical index, uploads and, in embedded mode, Chroma's files.")
    chroma_url: str | None = Field(None, description="URL of a Chroma server (e.g. http://127.0.0.1:8000); empty means an embedded store inside `store`.")
    collection: str = Field("policyqa", description="Chroma collection name.")
    embedding_model: str = Field("", description="sentence-transformers model name or path; empty means the bundled all-MiniLM-L6-v2.")
    embedding_dtype: Literal["auto", "fp32", "bf16"] = Field("auto", description="Numerics of the embedding model. auto: bf16 for ingest on CPUs with native bf16, fp32 elsewhere and for questions; bf16 (explicit) runs everything on PyTorch in bf16.")
    embedding_backend: Literal["auto", "torch", "onnx"] = Field("auto", description="auto: questions on ONNX Runtime once the model has been exported (at the first ingest), ingest on PyTorch bf16 where the CPU has it; onnx or torch: everything on that backend.")
    embedding_batch_size: int = Field(8, ge=1, le=1024, description="Texts per forward pass; small batches of similar length are fastest on CPU.")
    ingest_batch_files: int = Field(48, ge=1, le=10000, description="Files embedded and committed together; a crash loses at most one batch of work.")
    max_file_mb: float = Field(100.0, gt=0, description="A file larger than this is not ingested (one line says so).")
    max_unpacked_mb: float = Field(300.0, gt=0, description="A DOCX that unpacks to more than this is not ingested.")
    max_records: int = Field(200_000, ge=1, description="A JSON or JSONL file with more records than this is not ingested.")
    max_chars: int = Field(30_000_000, ge=1000, description="A file whose text is longer than this is not ingested.")
    chunk_tokens: int = Field(160, ge=32, le=512, description="Target chunk size in tokens of the embedding model.")
    top_k: int = Field(6, ge=1, le=TOP_K_MAX, description="How many passages retrieval returns.")
    exact_search_max_chunks: int = Field(10000, ge=0, description="A store of at most this many chunks is searched exactly, with every vector in memory (the same question always finds the same passages); a larger one through Chroma's approximate HNSW index. 0: always HNSW.")
    expand_documents: int = Field(1, ge=0, le=10, description="The extractive answerer reads this many of the best documents whole, not only their retrieved passages (0: passages only).")
    answer_mode: Literal["extractive", "llm"] = "extractive"
    llm: str | None = Field(None, description="provider:model, e.g. ollama:llama3.1, openai:gpt-4o-mini, openai-compatible:MODEL.")
    llm_base_url: str | None = None
    llm_timeout: float = Field(60.0, gt=0)
    llm_max_retries: int = Field(2, ge=0, le=10)
    llm_max_tokens: int = Field(600, ge=16, le=32768, description="The most tokens a language model may write for one answer (or one rewritten question).")
    llm_answer_seconds: float = Field(90.0, gt=0, description="The longest a language model may take to write one answer, streaming or not; past it the quoted answer is shown, with a notice.")
    refusal_threshold: float | None = Field(None, description="Override the calibrated support score below which the assistant refuses.")
    upload_max_mb: float = Field(25.0, gt=0)
    host: str = "127.0.0.1"
    port: int = Field(7860, ge=0, le=65535)
    auth: str | None = Field(None, description="USER:PASS to require a login in the chat UI.")

    @field_validator("chroma_url", "llm", "llm_base_url", "auth", mode="before")
    @classmethod
    def _empty_is_none(cls, value: Any) -> Any:
        return None if value == "" else value

    @model_validator(mode="after")
    def _backend_fits_dtype(self) -> "Settings":
        if self.embedding_backend == "onnx" and self.embedding_dtype == "bf16":
            raise ValueError("embedding_dtype=bf16 runs on PyTorch only: set embedding_backend to torch or auto, or embedding_dtype to fp32")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        config_file = os.environ.get("POLICYQA_CONFIG") or DEFAULT_CONFIG_FILE
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if Path(config_file).is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=config_file))
        return tuple(sources)

    @property
    def store_dir(self) -> Path:
        return Path(self.store).expanduser()


def load_settings(**overrides: Any) -> Settings:
    """Build settings from env and TOML, with explicit overrides (CLI flags) on top; None overrides are ignored."""
    return Settings(**{key: value for key, value in overrides.items() if value is not None})
