"""The chat UI's named API endpoints, driven with gradio_client against the live app."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

pytestmark = [pytest.mark.ui, pytest.mark.integration, pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")]

EO_14257 = "eo2025/04-April/2025-04-02-executive-order-14257.md"
DUTY_QUESTION = "What is the additional ad valorem duty on imports under Executive Order 14257?"
EO_14266 = "eo2025/04-April/2025-04-09-executive-order-14266.md"
ORDER_QUESTION = "What does Executive Order 14266 suspend?"
FOLLOW_UP = "And when does it take effect?"
UPLOAD_FACT = (
    "Quibblefrost Accord on river ferries.\n\n"
    "Under the Quibblefrost Accord, the ferry toll on the Vellmar river is 17 silver crowns per wagon.\n\n"
    "The Accord was signed in the town of Oddlebury.\n"
)
UPLOAD_QUESTION = "What is the ferry toll on the Vellmar river under the Quibblefrost Accord?"


@pytest.fixture()
def client(live_app):
    from gradio_client import Client

    return Client(live_app.url, verbose=False)


def _shown(message: dict) -> str:
    """A chat message's HTML with entities decoded (Gradio 6 gives content as a list of {"text", "type"} parts)."""
    content = message["content"]
    parts = content if isinstance(content, list) else [content]
    return html.unescape(" ".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in parts))


def _sources(answer: dict) -> set[str]:
    return {c["source"] for c in answer["citations"]}


def test_named_endpoints_are_exposed(client):
    endpoints = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    for name in ("/ask", "/chat", "/new_conversation", "/export", "/upload", "/remove", "/reingest", "/documents"):
        assert name in endpoints, f"{name} missing from {sorted(endpoints)}"


def test_ask_returns_an_answer_with_verbatim_citations(client, live_app):
    answer = client.predict(DUTY_QUESTION, None, None, None, api_name="/ask")
    assert not answer["refused"], answer["answer"]
    assert answer["citations"], answer
    assert "[1]" in answer["answer"]
    assert EO_14257 in _sources(answer)
    for citation in answer["citations"]:
        text = live_app.assistant.document_text(citation["source"])
        assert text[citation["start"] : citation["end"]] == citation["quote"]
        assert citation["title"]


def test_follow_up_uses_the_history_and_cites_the_same_order(client):
    first = client.predict(ORDER_QUESTION, None, None, None, api_name="/ask")
    assert EO_14266 in _sources(first), first
    history = [{"role": "user", "content": ORDER_QUESTION}, {"role": "assistant", "content": first["answer"]}]
    follow = client.predict(FOLLOW_UP, history, None, None, api_name="/ask")
    assert not follow["refused"], follow["answer"]
    assert EO_14266 in _sources(follow)
    assert "14266" in follow.get("standalone_question", ""), "the follow-up was not rewritten with the conversation"


def test_chat_session_keeps_history_and_exports_markdown(client):
    """The UI's own streaming endpoint: state lives in the session, the export has every turn and its citations."""
    messages, textbox, export = client.predict(ORDER_QUESTION, 6, "extractive", api_name="/chat")
    assert textbox == ""
    assert [m["role"] for m in messages] == ["user", "assistant"]
    assert "pq-card" in _shown(messages[-1]) and EO_14266 in _shown(messages[-1])
    messages, _, export = client.predict(FOLLOW_UP, 6, "extractive", api_name="/chat")
    assert len(messages) == 4
    assert EO_14266 in _shown(messages[-1]), "the follow-up should be answered from the same order"
    markdown = Path(client.predict(api_name="/export")).read_text(encoding="utf-8")
    assert markdown.count("## ") == 2
    assert ORDER_QUESTION in markdown and FOLLOW_UP in markdown
    assert markdown.count(EO_14266) >= 2, markdown
    assert "   > " in markdown  # the quotes
    assert export and Path(export).name.endswith(".md")
    cleared = client.predict(api_name="/new_conversation")
    assert cleared[0] == [] and client.predict(api_name="/export") is None


def test_upload_makes_a_file_answerable_and_remove_takes_it_back(client, live_app, tmp_path):
    from gradio_client import handle_file

    uploads = live_app.settings.store_dir / "uploads"
    path = tmp_path / "quibblefrost accord (draft).txt"
    path.write_text(UPLOAD_FACT, encoding="utf-8")

    log, *_ = client.predict([handle_file(str(path))], "", api_name="/upload")
    assert "✓ added" in log, log
    stored = [p.name for p in uploads.iterdir()]
    assert len(stored) == 1 and stored[0].startswith("quibblefrost_accord_draft") and stored[0].endswith(".txt"), stored
    source = stored[0]
    assert source in {d["source"] for d in client.predict("quibblefrost", api_name="/documents")}

    answer = client.predict(UPLOAD_QUESTION, None, None, None, api_name="/ask")
    assert not answer["refused"], answer["answer"]
    assert source in _sources(answer)
    assert any("17 silver crowns" in c["quote"] for c in answer["citations"])

    log, *_ = client.predict(source, "", api_name="/remove")
    assert f"removed: {source}" in log, log
    assert not any(uploads.iterdir()), "the uploaded copy should be deleted with the document"
    assert source not in {d["source"] for d in client.predict("", api_name="/documents")}
    after = client.predict(UPLOAD_QUESTION, None, None, None, api_name="/ask")
    assert source not in _sources(after)
    assert "17 silver crowns" not in after["answer"]


def test_refused_uploads_get_a_clear_error_per_file(client, live_app, tmp_path):
    from gradio_client import handle_file

    before = {d["source"] for d in client.predict("", api_name="/documents")}
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ\x90\x00not really a program")
    big = tmp_path / "huge-report.txt"
    big.write_text("policy " * 20_000, encoding="utf-8")  # 140 KB > the 50 KB test limit

    log, *_ = client.predict([handle_file(str(exe)), handle_file(str(big))], "", api_name="/upload")
    assert "tool.exe: refused: unsupported file type .exe" in log, log
    assert "huge-report.txt: refused: too large" in log and "limit is 0.05 MB" in log, log
    uploads = live_app.settings.store_dir / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())
    assert {d["source"] for d in client.predict("", api_name="/documents")} == before


def test_reingest_folders_reports_each_file(client, live_app):
    log, *_ = client.predict(False, "", api_name="/reingest")
    assert "unchanged" in log and "Done." in log, log
    assert str(live_app.corpus) in log


def test_documents_endpoint_filters(client):
    docs = client.predict("zorblatt", api_name="/documents")
    assert [d["source"] for d in docs] == ["hostile/zorblatt-memo.md"]


def test_auth_from_settings_requires_a_login(live_app):
    """`auth = "USER:PASS"` in settings puts the app behind a login (a second app over the same assistant)."""
    from gradio_client import Client

    import app

    settings = live_app.settings.model_copy(update={"auth": "analyst:s3cret"})
    demo = app.build_app(live_app.assistant, settings)
    demo.queue()
    _, url, _ = demo.launch(server_name="127.0.0.1", server_port=None, prevent_thread_lock=True, quiet=True,
                            auth=app.LoginGuard(*app.parse_auth(settings.auth)), **app.launch_options(settings))
    try:
        with pytest.raises(Exception, match="(?i)credentials|login|auth"):
            Client(url, verbose=False)
        with pytest.raises(Exception):
            Client(url, auth=("analyst", "wrong"), verbose=False)
        client = Client(url, auth=("analyst", "s3cret"), verbose=False)
        assert {d["source"] for d in client.predict("", api_name="/documents")}
    finally:
        demo.close()


def test_the_ask_endpoint_keeps_top_k_within_the_settings_bounds(client):
    from gradio_client.exceptions import AppError

    for top_k in (0, 51, 10**6):
        with pytest.raises(AppError, match="top_k must be between 1 and 50"):
            client.predict(DUTY_QUESTION, None, top_k, None, api_name="/ask")
    assert len(client.predict(DUTY_QUESTION, None, 50, None, api_name="/ask")["retrieved"]) <= 60
