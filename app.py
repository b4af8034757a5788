"""The policyqa chat UI (Gradio): `python app.py` or `policyqa serve`.

`build_app(assistant, settings)` returns the Blocks; `serve(settings)` warms the assistant and launches it.
Callbacks are thin: they call the Assistant and the pure renderers of `assistant.ui_render`.
Per-session data (conversation, answers) lives in a `gr.State`, never on a shared object.

Named API endpoints (gradio_client): /ask, /documents (stateless, JSON); /chat, /new_conversation,
/export (the chat session); /upload, /remove, /reingest (the document library).
"""

from __future__ import annotations

import argparse
import hashlib
import ipaddress
import os
import queue
import re
import shutil
import sys
import tempfile
import threading
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterator

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # offline tool: no telemetry

import gradio as gr  # noqa: E402

from assistant import ui_render as ui  # noqa: E402

UPLOADS_DIR = "uploads"
MAX_NAME_CHARS = 100

# launch-time look ------------------------------------------------------------------------------
FONT = ("ui-sans-serif", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif")
FONT_MONO = ("ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "Liberation Mono", "monospace")

CSS = """
.gradio-container { max-width: 1280px !important; margin: 0 auto !important; }
#pq-header { display: flex; align-items: baseline; gap: 14px; padding: 6px 4px 2px; }
#pq-header .pq-brand { font-size: 22px; font-weight: 700; letter-spacing: -0.02em; color: var(--body-text-color); }
#pq-header .pq-brand span { color: var(--color-accent); }
#pq-header .pq-tagline { color: var(--body-text-color-subdued); font-size: 14px; }
#pq-chat { border-radius: 14px; }
#pq-chat .message-row .message, #pq-chat .message { font-size: 15px; line-height: 1.6; }
#pq-chat .bot.message, #pq-chat .message.bot { max-width: 100% !important; width: 100%; }
#pq-side .pq-stat { font-size: 13px; color: var(--body-text-color-subdued); padding: 4px 2px 8px; }
.pq-help { font-size: 12.5px; color: var(--body-text-color-subdued); line-height: 1.45; }

.pq-question { white-space: normal; }
.pq-answer { display: flex; flex-direction: column; gap: 8px; }
.pq-answer .pq-text { font-size: 15px; line-height: 1.65; }
.pq-ref { display: inline-block; font-size: 10.5px; font-weight: 700; line-height: 1; padding: 2px 4px; margin: 0 1px 0 0;
  border-radius: 6px; color: var(--color-accent); background: var(--color-accent-soft); vertical-align: baseline;
  position: relative; top: -0.45em; cursor: help; }
.pq-typing { color: var(--body-text-color-subdued); font-style: italic; }
.pq-typing::after { content: ' …'; animation: pq-blink 1.2s infinite; }
.pq-caret { display: inline-block; width: 7px; height: 1em; margin-left: 2px; vertical-align: text-bottom;
  background: var(--color-accent); animation: pq-blink 1s steps(2) infinite; }
@keyframes pq-blink { 50% { opacity: 0; } }

.pq-sources { margin-top: 4px; border: none !important; padding: 0 !important; }
.pq-sources > summary { cursor: pointer; font-size: 12px; font-weight: 700; letter-spacing: .06em; text-transform: uppercase;
  color: var(--body-text-color-subdued); margin: 2px 0 6px; list-style-position: inside; }
.pq-card { border: 1px solid var(--border-color-primary); border-radius: 12px; padding: 10px 14px 10px;
  margin: 0 0 10px; background: var(--background-fill-primary); box-shadow: 0 1px 2px rgba(15, 23, 42, .05); }
.pq-card-head { display: flex; align-items: flex-start; gap: 10px; }
.pq-num { flex: 0 0 auto; display: inline-flex; align-items: center; justify-content: center; min-width: 22px; height: 22px;
  padding: 0 6px; border-radius: 11px; background: var(--color-accent); color: #fff; font-size: 12px; font-weight: 700; margin-top: 1px; }
.pq-title { font-weight: 650; font-size: 14px; line-height: 1.4; color: var(--body-text-color);
  display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; }
.pq-meta { display: flex; flex-wrap: wrap; gap: 6px; margin: 6px 0 8px 32px; }
.pq-chip { font-size: 11.5px; line-height: 1.5; padding: 1px 8px; border-radius: 999px; color: var(--body-text-color-subdued);
  background: var(--background-fill-secondary); border: 1px solid var(--border-color-primary); white-space: nowrap;
  max-width: 100%; overflow: hidden; text-overflow: ellipsis; }
.pq-chip.pq-src { font-family: var(--font-mono); }
.pq-context { margin: 0 0 0 32px; padding: 7px 12px; border-left: 3px solid var(--color-accent); font-size: 13.5px;
  line-height: 1.65; color: var(--body-text-color); background: var(--background-fill-secondary); border-radius: 0 8px 8px 0; }
.pq-context .pq-around { opacity: .72; }
.pq-card mark, .pq-refusal mark { background: #fde68a; color: #1f2937; padding: 1px 2px; border-radius: 3px;
  box-decoration-break: clone; -webkit-box-decoration-break: clone; }
.dark .pq-card mark { background: rgba(250, 204, 21, .35); color: inherit; }
.pq-more { margin: 6px 0 0 32px; border: none !important; padding: 0 !important; }
.pq-more > summary { cursor: pointer; font-size: 12.5px; color: var(--color-accent); font-weight: 600; }
.pq-passage { margin-top: 6px; font-size: 13px; line-height: 1.6; max-height: 320px; overflow: auto; padding: 8px 12px;
  border-radius: 8px; border: 1px dashed var(--border-color-primary); }

.pq-refusal { border: 1px solid #f59e0b; background: #fffbeb; color: #78350f; border-radius: 12px; padding: 12px 14px; }
.dark .pq-refusal { background: rgba(245, 158, 11, .12); color: #fde68a; }
.pq-refusal-head { display: flex; align-items: center; gap: 8px; font-weight: 700; font-size: 14.5px; margin-bottom: 6px; }
.pq-refusal-icon { display: inline-flex; align-items: center; justify-content: center; width: 20px; height: 20px; border-radius: 50%;
  background: #f59e0b; color: #fff; font-size: 13px; font-weight: 800; }
.pq-refusal-text { font-size: 14px; line-height: 1.55; }
.pq-closest-label { margin-top: 10px; font-size: 12px; font-weight: 700; text-transform: uppercase; letter-spacing: .05em; }
.pq-closest { margin: 4px 0 0 0; padding-left: 20px; }
.pq-closest li { margin: 6px 0; }
.pq-closest .pq-title { color: inherit; font-size: 13.5px; }
.pq-closest .pq-meta { margin: 3px 0 0 0; }
.pq-error { border: 1px solid #ef4444; background: #fef2f2; color: #991b1b; border-radius: 10px; padding: 10px 12px; }
.dark .pq-error { background: rgba(239, 68, 68, .12); color: #fecaca; }
.pq-notice { font-size: 12.5px; color: #92400e; }
.pq-foot { font-size: 11.5px; color: var(--body-text-color-subdued); }
.pq-followup { cursor: help; border-bottom: 1px dotted currentColor; }
#pq-side button { white-space: nowrap; }
#pq-mode label:not(.selected) input:disabled + span { opacity: .55; }
#pq-mode label.selected, #pq-mode label.selected * { opacity: 1 !important; color: #fff !important; }

.pq-library { display: flex; flex-direction: column; gap: 8px; }
.pq-lib-summary { font-size: 13px; color: var(--body-text-color-subdued); }
.pq-lib-scroll { max-height: 460px; overflow: auto; border: 1px solid var(--border-color-primary); border-radius: 10px; }
.pq-lib-table { width: 100%; border-collapse: collapse; font-size: 13px; border: none !important; margin: 0 !important; }
.pq-lib-table th, .pq-lib-table td { border-left: none !important; border-right: none !important; border-top: none !important; }
.pq-lib-table th { position: sticky; top: 0; background: var(--background-fill-secondary); text-align: left; padding: 8px 10px;
  font-weight: 650; border-bottom: 1px solid var(--border-color-primary); }
.pq-lib-table td { padding: 7px 10px; border-bottom: 1px solid var(--border-color-primary); vertical-align: top; }
.pq-lib-table tr:last-child td { border-bottom: none; }
.pq-lib-src { font-family: var(--font-mono); font-size: 12px; color: var(--body-text-color-subdued); overflow-wrap: anywhere; min-width: 160px; }
.pq-lib-date, .pq-lib-num { white-space: nowrap; }
.pq-lib-num { text-align: right; }
.pq-empty { color: var(--body-text-color-subdued); padding: 16px; }
#pq-input-row { align-items: stretch; gap: 10px; }
#pq-question textarea { font-size: 15px; padding: 12px 14px; border-radius: 12px; }
#pq-ask { border-radius: 12px; }
#pq-activity textarea { font-family: var(--font-mono); font-size: 12.5px; }

.pq-ref.pq-open { cursor: pointer; }
.pq-ref .pq-preview { display: none; position: absolute; z-index: 50; left: 0; top: 1.6em; width: min(360px, 80vw);
  padding: 10px 12px; border-radius: 10px; background: var(--background-fill-primary); color: var(--body-text-color);
  border: 1px solid var(--border-color-primary); box-shadow: 0 6px 24px rgba(15, 23, 42, .18); font-size: 12.5px;
  font-weight: 400; line-height: 1.5; text-align: left; white-space: normal; }
.pq-ref:hover .pq-preview, .pq-ref:focus .pq-preview { display: block; }
.pq-preview > span { display: block; }
.pq-preview-title { font-weight: 650; margin-bottom: 2px; }
.pq-preview-meta, .pq-preview-hint { color: var(--body-text-color-subdued); font-size: 11.5px; }
.pq-preview-quote { margin: 6px 0; padding-left: 8px; border-left: 3px solid var(--color-accent); }
.pq-card-actions { display: flex; gap: 16px; margin: 8px 0 0 32px; }
.pq-open-doc, .pq-copy { display: inline-block; font-size: 12.5px; font-weight: 600; color: var(--color-accent); cursor: pointer; }
.pq-foot .pq-copy { font-size: 11.5px; }
.pq-open-doc:hover, .pq-copy:hover { text-decoration: underline; }
.pq-later { margin: 4px 0 0 32px; font-size: 12.5px; color: var(--body-text-color-subdued); }
.pq-later-link { font-weight: 600; color: var(--color-accent); }
.pq-later-link[role="button"] { cursor: pointer; }
.pq-later-link[role="button"]:hover { text-decoration: underline; }
.pq-timeline { margin: 8px 0 12px; font-size: 13px; }
.pq-timeline ul { margin: 4px 0 0 18px; padding: 0; }
.pq-tl-date { font-variant-numeric: tabular-nums; color: var(--body-text-color-subdued); }
.pq-tl-rel { font-weight: 600; }
.pq-doc-title { font-weight: 700; font-size: 15px; line-height: 1.4; }
.pq-doc-meta { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin: 6px 0 10px; font-size: 12px;
  color: var(--body-text-color-subdued); }
.pq-doc-text { font-size: 13.5px; line-height: 1.65; max-height: calc(100vh - 260px); overflow: auto; padding-right: 6px; }
.pq-doc mark { background: #fde68a; color: #1f2937; padding: 1px 2px; border-radius: 3px; }
.pq-doc-empty, .pq-doc-missing { color: var(--body-text-color-subdued); font-size: 13px; }
.pq-hidden { display: none !important; }

@media (max-width: 640px) {
  .gradio-container { padding: 0 6px !important; }
  #pq-header { flex-wrap: wrap; gap: 4px; }
  .pq-meta, .pq-context, .pq-more, .pq-card-actions { margin-left: 0; }
  .pq-chip { white-space: normal; overflow-wrap: anywhere; }
  .pq-lib-src { min-width: 0; }
}
"""

# Clicking an element that carries a `pq-cite-<answer>-<n>` class opens that citation in the document panel: the
# chat's sanitizer keeps classes but drops scripts and handlers, so one listener on the page does it.
PAGE_JS = """
() => {
  const open = (target) => {
    const el = target.closest('[class*="pq-cite-"]');
    if (!el) return false;
    const m = el.className.match(/pq-cite-(\\d+)-(\\d+)/);
    if (!m) return false;
    window.__pqOpen = m[1] + ':' + m[2];
    const button = document.getElementById('pq-open-citation');
    if (button) button.click();
    return true;
  };
  const copy = (target) => {
    const el = target.closest('.pq-copy');
    if (!el) return false;
    let text = '';
    if (el.classList.contains('pq-copy-answer')) {
      const answer = el.closest('.pq-answer');
      const cards = [...answer.querySelectorAll('.pq-card')].map((card, i) =>
        '[' + (i + 1) + '] ' + card.querySelector('.pq-title').innerText.trim() + ' (' +
        card.querySelector('.pq-src').innerText.trim() + '): "' + card.querySelector('.pq-context mark').innerText.trim() + '"');
      text = answer.querySelector('.pq-text').innerText.trim() + (cards.length ? '\\n\\nSources:\\n' + cards.join('\\n') : '');
    } else {
      const card = el.closest('.pq-card');
      const where = [...card.querySelectorAll('.pq-date, .pq-sec')].map((c) => c.innerText.trim()).join(', ');
      text = '"' + card.querySelector('.pq-context mark').innerText.trim() + '" — ' + card.querySelector('.pq-title').innerText.trim() +
        ' (' + card.querySelector('.pq-src').innerText.trim() + (where ? ', ' + where : '') + ')';
    }
    window.__pqCopied = text;
    const done = () => { el.dataset.label = el.innerText; el.innerText = 'Copied'; setTimeout(() => { el.innerText = el.dataset.label; }, 1200); };
    if (navigator.clipboard && window.isSecureContext) { navigator.clipboard.writeText(text).then(done, done); } else { done(); }
    return true;
  };
  const act = (e) => open(e.target) || copy(e.target);
  document.addEventListener('click', (e) => { if (act(e)) e.preventDefault(); });
  document.addEventListener('keydown', (e) => { if ((e.key === 'Enter' || e.key === ' ') && act(e)) e.preventDefault(); });
}
"""
# a new answer is read from its start: the chat is scrolled to the top of the last answer, not to the bottom
SCROLL_TO_ANSWER_JS = """
() => { setTimeout(() => { const all = document.querySelectorAll('#pq-chat .pq-answer');
  const last = all[all.length - 1]; if (last) last.scrollIntoView({block: 'start'}); }, 100); }
"""
SCROLL_TO_PASSAGE_JS = """
() => { setTimeout(() => { const hit = document.getElementById('pq-hit'); if (hit) hit.scrollIntoView({block: 'center'}); }, 150); }
"""

HEADER = (
    '<div id="pq-header"><div class="pq-brand">policy<span>qa</span></div>'
    '<div class="pq-tagline">Answers quoted from your documents — every claim cites the passage it comes from.</div></div>'
)

PLACEHOLDER = (
    "<div style='text-align:center;max-width:520px;margin:auto'>"
    "<h3 style='margin-bottom:6px'>Ask about your documents</h3>"
    "<p style='opacity:.75'>Answers are quoted verbatim from the ingested documents, with numbered sources "
    "you can open in context. Follow-up questions use the conversation.</p></div>"
)


def theme() -> gr.themes.Base:
    return gr.themes.Soft(primary_hue="indigo", neutral_hue="slate", font=FONT, font_mono=FONT_MONO)


def launch_options(settings) -> dict[str, Any]:
    """Keyword arguments for `Blocks.launch` besides host/port/auth: look, upload cap, no SSR."""
    hard_cap_mb = max(settings.upload_max_mb * 4, settings.upload_max_mb + 10)
    return {
        "css": CSS,
        "js": PAGE_JS,
        "theme": theme(),
        "max_file_size": int(hard_cap_mb * 1024 * 1024),  # bigger uploads are refused before they land on disk
        "ssr_mode": False,
        "footer_links": ["api"],
        "allowed_paths": [],  # never serve the store or the documents themselves
    }


# per-session state ----------------------------------------------------------------------------
@dataclass
class ChatSession:
    """One browser session's conversation: what the chatbot shows, the plain turns, the answers."""

    messages: list[dict] = field(default_factory=list)  # rendered HTML, for the Chatbot
    history: list[dict] = field(default_factory=list)  # {"role", "content"} with the plain answer text
    answers: list[Any] = field(default_factory=list)  # Answer records, for export


# chat -------------------------------------------------------------------------------------------
def _document_texts(assistant, answer) -> dict[str, str | None]:
    return {source: assistant.document_text(source) for source in {c.source for c in answer.citations}}


def chat_turn(assistant, export_dir: Path, question: str, session: ChatSession, top_k, mode) -> Iterator[tuple]:
    """Stream one answer into the session: yields (chatbot messages, session, textbox value, export file)."""
    question = (question or "").strip()
    if not question:
        yield session.messages, session, "", gr.skip()
        return
    shown = session.messages + [{"role": "user", "content": ui.render_user_message(question)}]
    yield shown + [{"role": "assistant", "content": ui.render_pending()}], session, "", gr.skip()
    partial, answer = "", None
    try:
        k = max(1, min(50, int(top_k))) if top_k else None
        for event in assistant.stream(question, list(session.history), k, mode or None):
            if isinstance(event, str):
                partial += event
                yield shown + [{"role": "assistant", "content": ui.render_pending(partial)}], session, "", gr.skip()
            else:
                answer = event
    except Exception as exc:  # shown in the chat; the conversation continues
        session.messages = shown + [{"role": "assistant", "content": ui.render_error(str(exc) or type(exc).__name__)}]
        yield session.messages, session, "", gr.skip()
        return
    rendered = ui.render_answer(answer, _document_texts(assistant, answer), answer_index=len(session.answers))
    session.messages = shown + [{"role": "assistant", "content": rendered}]
    session.history = session.history + [{"role": "user", "content": question}, {"role": "assistant", "content": answer.answer}]
    session.answers = session.answers + [answer]
    yield session.messages, session, "", write_export(export_dir, session)


def open_citation(assistant, export_dir: Path, request: str | None, session: ChatSession) -> tuple[Any, str, str | None]:
    """The document panel for "ANSWER:N" (citation N of the session's answer ANSWER): the whole document with the
    passage marked, the sidebar opened, and a copy of the original file for the download button (when the file is
    still where it was ingested from; the copy, in this app's temporary folder, is what the browser may fetch)."""
    try:
        index, n = (int(part) for part in (request or "").split(":"))
        citation = session.answers[index].citations[n - 1]
    except (ValueError, IndexError):
        return gr.skip(), ui.DOCUMENT_PANEL_EMPTY, None
    copy = None
    original = assistant.original_file(citation.source)
    if original is not None:
        copy = export_dir / "originals" / hashlib.sha256(citation.source.encode()).hexdigest()[:16] / original.name
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(original, copy)
    return (gr.Sidebar(open=True), ui.render_document_panel(citation, assistant.document_text(citation.source),
                                                            assistant.history.timeline(citation.source)),
            str(copy) if copy else None)


def _examples(assistant) -> list[dict]:
    return [{"text": question} for question in ui.example_questions(assistant.documents())]


def record_verdict(assistant, session: ChatSession, liked: bool | str, message: Any) -> str | None:
    """Keep a thumbs up or down on an answer in the store's feedback file (`policyqa eval` reads it as a question
    set); the answer is found by the index its message carries, so error messages in between do not shift it."""
    content = message.get("content") if isinstance(message, dict) else message
    found = re.search(r"pq-answer-(\d+)", str(content or ""))
    if found is None or int(found.group(1)) >= len(session.answers) or liked not in (True, False):
        return None
    index = int(found.group(1))
    before = session.history[: 2 * index]
    path = assistant.record_feedback(session.answers[index], before, liked)
    gr.Info("Thanks: your verdict is kept in the store's feedback file.")
    return str(path)


def session_to_browser(session: ChatSession) -> dict:
    """What the browser keeps of a conversation, so that it survives a page reload: the turns and the answers
    (never the rendered HTML, which is rebuilt, escaped, from them)."""
    return {"history": session.history, "answers": [asdict(answer) for answer in session.answers]}


def session_from_browser(assistant, kept: dict | None) -> ChatSession:
    """The conversation the browser kept, rendered again against the documents as they are now; anything
    unreadable (an older format, an edited value) starts a new conversation instead."""
    from assistant.answers import Answer

    try:
        answers = [Answer.from_dict(data) for data in (kept or {}).get("answers") or []]
        history = [{"role": str(t["role"]), "content": str(t["content"])} for t in (kept or {}).get("history") or []]
    except (TypeError, KeyError, AttributeError):
        return ChatSession()
    messages = []
    for index, answer in enumerate(answers):
        messages.append({"role": "user", "content": ui.render_user_message(answer.question)})
        messages.append({"role": "assistant",
                         "content": ui.render_answer(answer, _document_texts(assistant, answer), answer_index=index)})
    return ChatSession(messages=messages, history=history, answers=answers)


def write_export(export_dir: Path, session: ChatSession) -> str | None:
    """Write the conversation as Markdown to a content-addressed file; its path for the download button."""
    if not session.answers:
        return None
    text = ui.render_export_markdown(session.answers, datetime.now().strftime("%Y-%m-%d %H:%M"))
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    path = export_dir / digest / f"policyqa-conversation-{datetime.now():%Y%m%d-%H%M}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return str(path)


# uploads ------------------------------------------------------------------------------------------
def safe_upload_name(name: str) -> str:
    """A file name safe to create in the uploads folder: no directories, only [A-Za-z0-9._-], no leading dot."""
    base = re.split(r"[\\/]", str(name or ""))[-1]
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    clean = lambda s: re.sub(r"[^A-Za-z0-9._-]+", "_", s)  # noqa: E731
    stem = clean(stem).strip("._-")[:MAX_NAME_CHARS] or "upload"
    ext = clean(ext).strip("._-")[:16].lower()
    return f"{stem}.{ext}" if ext else stem


def _same_file(a: Path, b: Path) -> bool:
    if a.stat().st_size != b.stat().st_size:
        return False
    digest = lambda p: hashlib.sha256(p.read_bytes()).digest()  # noqa: E731
    return digest(a) == digest(b)


def stage_upload(uploads: Path, upload_path: Path, original_name: str, taken_sources: set[str]) -> tuple[Path, bool]:
    """Copy an uploaded file into `uploads` under a safe, unused name; (target, reused identical copy)."""
    uploads.mkdir(parents=True, exist_ok=True)
    root = uploads.resolve()
    name = safe_upload_name(original_name)
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    candidate, counter = name, 0
    while True:
        target = root / candidate
        if target.parent != root:  # cannot happen with a safe name; refuse rather than write elsewhere
            raise ValueError("refused: unsafe file name")
        if target.exists():
            if target.is_file() and _same_file(target, upload_path):
                return target, True
        elif candidate not in taken_sources:
            break
        counter += 1
        candidate = f"{stem}-{counter}.{ext}" if ext else f"{stem}-{counter}"
    partial = root / f".partial-{os.getpid()}-{threading.get_ident()}-{candidate}"
    shutil.copyfile(upload_path, partial)
    os.replace(partial, target)
    return target, False


def check_upload(path: Path, original_name: str, max_mb: float, supported: frozenset[str]) -> str | None:
    """Why an uploaded file is refused (one line), or None if it may be ingested."""
    ext = Path(original_name).suffix.lower()
    if ext not in supported:
        shown = ext or "(no extension)"
        return f"unsupported file type {shown}; supported: {' '.join(sorted(supported))}"
    size = path.stat().st_size
    if size > max_mb * 1024 * 1024:
        return f"too large: {size / 1048576:.1f} MB, the limit is {max_mb:g} MB per file"
    if size == 0:
        return "empty file"
    return None


def _status_line(source: str, status: str) -> str | None:
    marks = {"added": "✓ added", "updated": "↻ updated", "unchanged": "= unchanged (already ingested)"}
    return f"{marks[status]}: {source}" if status in marks else None


def upload_job(assistant, settings, files, log: Callable[[str], None]):
    """Check, stage and ingest uploaded files, logging one line per file; returns the IngestReport (or None)."""
    from ingest.loaders import SUPPORTED_EXTENSIONS

    files = [Path(f if isinstance(f, (str, Path)) else getattr(f, "name", f)) for f in (files or [])]
    if not files:
        log("No file received.")
        return None
    uploads = settings.store_dir / UPLOADS_DIR
    uploaded_sources = {p.name for p in uploads.iterdir()} if uploads.is_dir() else set()
    taken = {d.file_source for d in assistant.documents()} - uploaded_sources
    staged: list[Path] = []
    log(f"Received {len(files)} file{'s' if len(files) != 1 else ''}.")
    for path in files:
        original = path.name
        reason = check_upload(path, original, settings.upload_max_mb, SUPPORTED_EXTENSIONS)
        if reason:
            log(f"✗ {original}: refused: {reason}")
            continue
        target, _ = stage_upload(uploads, path, original, taken)
        if target.name != original:
            log(f"· {original}: saved as {target.name}")
        staged.append(target)
    if not staged:
        return None
    log(f"Ingesting {len(staged)} file{'s' if len(staged) != 1 else ''}…")
    return _ingest(assistant, staged, False, log)


def reingest_job(assistant, prune: bool, log: Callable[[str], None]):
    roots = [Path(r) for r in assistant.ingested_roots()]
    missing = [r for r in roots if not r.is_dir()]
    for root in missing:
        log(f"✗ folder is gone: {root}")
    present = [r for r in roots if r.is_dir()]
    if not present:
        log("No ingested folder to re-ingest.")
        return None
    log(f"Re-ingesting {len(present)} folder{'s' if len(present) != 1 else ''}: " + ", ".join(str(r) for r in present))
    return _ingest(assistant, present, bool(prune), log)


def _ingest(assistant, paths: list[Path], prune: bool, log: Callable[[str], None]):
    def on_file(source: str, status: str) -> None:
        line = _status_line(source, status)
        if line:
            log(line)

    def on_error(failure) -> None:
        log(f"✗ failed: {failure.source}: {failure.reason}")

    report = assistant.ingest(paths, prune=prune, progress=False, on_file=on_file, on_error=on_error, wait=False)
    for source in report.removed:
        log(f"– removed (file gone): {source}")
    log("Done. " + report.summary_line())
    return report


def remove_job(assistant, settings, source: str | None, log: Callable[[str], None]):
    """Remove a document (its whole file); an uploaded copy is deleted too so re-ingest does not bring it back."""
    if not source:
        log("Select a document to remove first.")
        return None
    uploads = (settings.store_dir / UPLOADS_DIR).resolve()
    files = assistant.catalog.files()
    removed, unknown = assistant.remove([source], wait=False)
    for file_source in removed:
        entry = files.get(file_source)
        copy = (uploads / file_source).resolve()
        if entry is not None and Path(entry.root).resolve() == uploads and copy.parent == uploads and copy.is_file():
            copy.unlink()
        log(f"– removed: {file_source}")
    for name in unknown:
        log(f"✗ not in the library: {name}")
    return removed


def library_view(assistant, query: str | None):
    """(table HTML, remove selector update, sidebar stats) for the current documents."""
    docs = assistant.documents()
    return (
        ui.render_library(docs, query),
        gr.Dropdown(choices=ui.document_choices(docs, query), value=None),
        ui.library_summary(docs),
    )


def run_library_job(assistant, query: str | None, job: Callable[[Callable[[str], None]], Any], title: str) -> Iterator[tuple]:
    """Run a library job in a worker thread; yield (activity log, table, selector, stats) as lines arrive."""
    lines = [f"{datetime.now():%H:%M:%S} {title}"]
    events: queue.Queue = queue.Queue()
    done = object()
    failures: list[str] = []

    def log(line: str) -> None:
        events.put(line)

    def work() -> None:
        try:
            job(log)
        except Exception as exc:  # reported in the log, the UI stays usable
            events.put(f"✗ error: {exc}")
        finally:
            events.put(done)

    threading.Thread(target=work, name="policyqa-library-job", daemon=True).start()
    while (item := events.get()) is not done:
        lines.append(item)
        if item.startswith("✗"):
            failures.append(item)
        yield "\n".join(lines), gr.skip(), gr.skip(), gr.skip()
    if failures:
        gr.Warning(f"{len(failures)} problem{'s' if len(failures) != 1 else ''}: see the activity log. " + failures[0][:160])
    yield ("\n".join(lines), *library_view(assistant, query))


# the app --------------------------------------------------------------------------------------------
def build_app(assistant, settings) -> gr.Blocks:
    """The chat UI over one Assistant. Launch with `demo.launch(**launch_options(settings), ...)`."""
    export_dir = Path(tempfile.mkdtemp(prefix="policyqa-export-"))
    llm_ready = bool(settings.llm)
    modes = [("Extractive (verbatim quotes)", "extractive"), (f"LLM ({settings.llm or 'not configured'})", "llm")]
    default_mode = settings.answer_mode if llm_ready else "extractive"
    from ingest.loaders import SUPPORTED_EXTENSIONS

    supported = " ".join(sorted(SUPPORTED_EXTENSIONS))

    with gr.Blocks(title="policyqa — ask your policy documents", fill_width=False) as demo:
        session = gr.State(ChatSession())
        kept = gr.BrowserState({}, storage_key="policyqa-conversation")
        gr.HTML(HEADER)
        with gr.Sidebar(label="Document", open=False, position="right", width="min(520px, 94vw)",
                        elem_id="pq-doc-sidebar") as doc_sidebar:
            doc_panel = gr.HTML(ui.DOCUMENT_PANEL_EMPTY, elem_id="pq-doc-panel")
            original_btn = gr.DownloadButton("Download the original file", value=None, size="sm", elem_id="pq-original")
        open_request = gr.Textbox(elem_classes=["pq-hidden"], container=False, show_label=False)
        open_btn = gr.Button("Open citation", elem_id="pq-open-citation", elem_classes=["pq-hidden"])
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=300):
                        chatbot = gr.Chatbot(
                            label="Conversation", elem_id="pq-chat", show_label=False, layout="bubble",
                            height="calc(100vh - 290px)", min_height=460, placeholder=PLACEHOLDER,
                            sanitize_html=True, render_markdown=True, latex_delimiters=[],  # messages are escaped HTML
                            feedback_options=("Like", "Dislike"), buttons=[], autoscroll=False,
                            allow_file_downloads=False, examples=_examples(assistant),
                        )
                        with gr.Row(equal_height=True, elem_id="pq-input-row"):
                            question = gr.Textbox(
                                label="Question", elem_id="pq-question", show_label=False, container=False, scale=8,
                                lines=1, max_lines=6, autofocus=True,
                                placeholder="Ask a question about your documents — e.g. What rate applies to goods from China?",
                            )
                            ask_btn = gr.Button("Ask", variant="primary", scale=0, min_width=100, elem_id="pq-ask")
                    with gr.Column(scale=1, min_width=260, elem_id="pq-side"):
                        stats = gr.HTML(ui.library_summary(assistant.documents()), label="Library size")
                        new_btn = gr.Button("New conversation", size="md", elem_id="pq-new")
                        export_btn = gr.DownloadButton("Export as Markdown", value=None, size="md", elem_id="pq-export")
                        with gr.Accordion("Answer settings", open=True):
                            top_k = gr.Slider(1, max(20, settings.top_k), value=settings.top_k, step=1,
                                              label="Sources per answer")
                            mode = gr.Radio(
                                modes, value=default_mode, label="Answer mode", interactive=llm_ready, elem_id="pq-mode",
                                info=None if llm_ready else "LLM mode is off: no language model is configured (POLICYQA_LLM).",
                            )
                        gr.HTML('<div class="pq-help">Hover a <b>[n]</b> marker to preview its source; click it, or '
                                '“Open in document” on a card, to read the whole document at the passage.</div>')

            with gr.Tab("Document library", id="library") as library_tab:
                with gr.Row(equal_height=True):
                    lib_filter = gr.Textbox(label="Filter", show_label=False, placeholder="Filter by title, source or date", scale=6)
                    refresh_btn = gr.Button("Refresh", scale=0, min_width=110, size="md")
                lib_table = gr.HTML(label="Documents", elem_id="pq-library")
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        uploader = gr.File(label=f"Add documents ({supported}; up to {settings.upload_max_mb:g} MB each)",
                                           file_count="multiple", type="filepath", elem_id="pq-upload", height=150)
                        activity = gr.Textbox(label="Activity", lines=8, max_lines=16, interactive=False, autoscroll=True,
                                              elem_id="pq-activity")
                    with gr.Column(scale=2):
                        remove_choice = gr.Dropdown(label="Remove a document", choices=[], value=None, filterable=True,
                                                    allow_custom_value=True, elem_id="pq-remove-choice")
                        remove_btn = gr.Button("Remove selected document", variant="stop")
                        prune = gr.Checkbox(label="On re-ingest, also drop documents whose files are gone", value=False)
                        reingest_btn = gr.Button("Re-ingest folders")
                        gr.HTML('<div class="pq-help">Uploaded files are copied into the store’s uploads folder and '
                                'can be asked about at once. Re-ingest picks up new and changed files in the folders '
                                'already ingested.</div>')

        # chat: one streaming event; its state is this session's only
        def chat(question: str, state: ChatSession, top_k: float, mode: str):
            yield from chat_turn(assistant, export_dir, question, state, top_k, mode)

        chat_io = dict(inputs=[question, session, top_k, mode], outputs=[chatbot, session, question, export_btn],
                       concurrency_limit=4, concurrency_id="chat")
        keep = dict(fn=session_to_browser, inputs=[session], outputs=[kept], api_visibility="private",
                    show_progress="hidden")
        scroll = dict(fn=None, inputs=None, outputs=None, js=SCROLL_TO_ANSWER_JS, api_visibility="private")
        question.submit(chat, api_name="chat", **chat_io).then(**keep).then(**scroll)
        ask_btn.click(chat, api_visibility="private", **chat_io).then(**keep).then(**scroll)
        new_btn.click(lambda: ([], ChatSession(), "", None, {}), None, [chatbot, session, question, export_btn, kept],
                      api_name="new_conversation")
        chatbot.clear(lambda: (ChatSession(), None, {}), None, [session, export_btn, kept], api_visibility="private")

        def export(state: ChatSession):
            if not state.answers:
                gr.Info("Nothing to export yet: ask a question first.")
            return write_export(export_dir, state)

        export_btn.click(export, [session], [export_btn], api_name="export")

        def restore(kept_value: dict):
            restored = session_from_browser(assistant, kept_value)
            return (gr.Chatbot(value=restored.messages, examples=_examples(assistant)), restored,
                    write_export(export_dir, restored))

        def verdict(state: ChatSession, data: gr.LikeData):
            record_verdict(assistant, state, data.liked, data.value)

        chatbot.like(verdict, [session], None, api_visibility="private", show_progress="hidden")
        def pick_example(data: gr.SelectData) -> str:
            return data.value["text"]

        chatbot.example_select(pick_example, None, [question], api_visibility="private").then(
            chat, **{**chat_io, "api_visibility": "private"}).then(**keep).then(**scroll)

        demo.load(restore, [kept], [chatbot, session, export_btn], api_visibility="private", show_progress="hidden")
        open_btn.click(lambda request, state: open_citation(assistant, export_dir, request, state), [open_request, session],
                       [doc_sidebar, doc_panel, original_btn], js="(request, state) => [window.__pqOpen || request, state]",
                       api_visibility="private", show_progress="hidden").then(
            None, None, None, js=SCROLL_TO_PASSAGE_JS, api_visibility="private")

        # library: jobs stream their activity log, then refresh the table and the selectors
        def view(query: str):
            return library_view(assistant, query)

        def upload(files: list[str] | None, query: str):
            yield from run_library_job(assistant, query, lambda log: upload_job(assistant, settings, files, log), "Upload")

        def remove(source: str | None, query: str):
            yield from run_library_job(assistant, query, lambda log: remove_job(assistant, settings, source, log), "Remove")

        def reingest(prune_missing: bool, query: str):
            yield from run_library_job(assistant, query, lambda log: reingest_job(assistant, prune_missing, log), "Re-ingest folders")

        view_out = [lib_table, remove_choice, stats]
        job_out = [activity, lib_table, remove_choice, stats]
        lib_io = dict(outputs=job_out, concurrency_limit=1, concurrency_id="library")
        quiet = dict(api_visibility="private", show_progress="hidden")
        demo.load(view, [lib_filter], view_out, **quiet)
        library_tab.select(view, [lib_filter], view_out, **quiet)
        refresh_btn.click(view, [lib_filter], view_out, **quiet)
        lib_filter.change(view, [lib_filter], view_out, **quiet)
        uploader.upload(upload, [uploader, lib_filter], api_name="upload", **lib_io).then(
            lambda: None, None, uploader, api_visibility="private")
        remove_btn.click(remove, [remove_choice, lib_filter], api_name="remove", **lib_io)
        reingest_btn.click(reingest, [prune, lib_filter], api_name="reingest", **lib_io)

        # stateless JSON endpoints for scripts
        def ask(question: str, history: list[dict] | None = None, top_k: int | None = None, mode: str | None = None) -> dict:
            """Answer a question (with earlier turns [{role, content}]) as the `ask --json` object."""
            try:
                return assistant.ask(question, history or [], top_k, mode).to_json()
            except ValueError as exc:  # an empty question, top_k out of bounds
                raise gr.Error(str(exc)) from None

        def documents(query: str = "") -> list[dict]:
            """The ingested documents (optionally filtered), without their text."""
            return [asdict(d) for d in ui.filter_documents(assistant.documents(), query)]

        gr.api(ask, api_name="ask", concurrency_limit=4, concurrency_id="chat")
        gr.api(documents, api_name="documents")

    _apply_look(demo)
    return demo


def _apply_look(demo: gr.Blocks) -> None:
    """Make a plain `demo.launch()` styled too (Gradio 6 takes css/theme at launch; these are its fallbacks)."""
    if hasattr(demo, "_deprecated_css") and getattr(demo, "_deprecated_css", None) is None:
        demo._deprecated_css = CSS
    if hasattr(demo, "_deprecated_theme") and getattr(demo, "_deprecated_theme", None) is None:
        demo._deprecated_theme = theme()
    if hasattr(demo, "_deprecated_js") and getattr(demo, "_deprecated_js", None) is None:
        demo._deprecated_js = PAGE_JS


# serving ------------------------------------------------------------------------------------------------
def parse_auth(auth: str | None) -> tuple[str, str] | None:
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise ValueError("auth must be USER:PASS (both non-empty)")
    return user, password


class LoginGuard:
    """The login check Gradio calls with (user, password), slowed against guessing: a wrong try is answered after
    `delay` seconds, and after `max_failures` wrong tries within `window` seconds every try, the right one too, is
    refused for `lockout` seconds. Gradio does not tell the check who is asking, so the guard is one for all
    clients: a guesser also locks the login for others, for a minute at a time."""

    def __init__(self, user: str, password: str, max_failures: int = 5, window: float = 300.0, lockout: float = 60.0,
                 delay: float = 0.5, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.user, self.password = user, password
        self.max_failures, self.window, self.lockout, self.delay = max_failures, window, lockout, delay
        self.clock, self.sleep = clock, sleep
        self._failures: list[float] = []
        self._locked_until = 0.0
        self._lock = threading.Lock()

    def __call__(self, user: str, password: str) -> bool:
        import hmac

        right = hmac.compare_digest(str(user).encode(), self.user.encode()) & hmac.compare_digest(
            str(password).encode(), self.password.encode())
        with self._lock:
            now = self.clock()
            if now < self._locked_until:
                right = False
            elif not right:
                self._failures = [t for t in self._failures if now - t < self.window] + [now]
                if len(self._failures) >= self.max_failures:
                    self._locked_until, self._failures = now + self.lockout, []
            else:
                self._failures = []
        if not right:
            self.sleep(self.delay)
        return right


def is_loopback(host: str) -> bool:
    if host in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind_address(host: str) -> str:
    """The address as Gradio takes it: an IPv6 literal in brackets ("::" -> "[::]"), since Gradio builds its own
    URLs from it ("http://:::7860" is no URL); names and IPv4 addresses as they are."""
    bare = host.strip("[]")
    try:
        return f"[{bare}]" if ipaddress.ip_address(bare).version == 6 else bare
    except ValueError:
        return host


def serve(settings) -> int:
    """Warm the assistant and serve the UI until interrupted. Returns a process exit code."""
    from assistant.core import build_assistant

    host = settings.host or "127.0.0.1"
    try:
        auth = parse_auth(settings.auth)
    except ValueError as exc:
        print(f"policyqa: {exc}; e.g. --auth analyst:secret", file=sys.stderr)
        return 2
    if not is_loopback(host) and auth is None:
        print(f"policyqa: warning: serving on {host} without a login; anyone who can reach this address can read "
              "and change your documents. Set --auth USER:PASS (or POLICYQA_AUTH).", file=sys.stderr)
    assistant = build_assistant(settings)
    try:
        started = time.perf_counter()
        assistant.warm_up()
        print(f"policyqa: ready in {time.perf_counter() - started:.1f}s; {len(assistant.documents())} documents", file=sys.stderr)
        demo = build_app(assistant, settings)
        demo.queue(default_concurrency_limit=1)
        demo.launch(server_name=bind_address(host), server_port=settings.port or None,
                    auth=LoginGuard(*auth) if auth else None, show_error=True,
                    **launch_options(settings))
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        print(f"policyqa: cannot serve on {host}:{settings.port}: {exc}; try another --port", file=sys.stderr)
        return 1
    except Exception as exc:  # e.g. a store built with another embedding model
        print(f"policyqa: {exc}", file=sys.stderr)
        return 1
    finally:
        assistant.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="app.py", description="Serve the policyqa chat UI.")
    parser.add_argument("--host", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port (default 7860)")
    parser.add_argument("--auth", metavar="USER:PASS", help="require this login")
    parser.add_argument("--store", metavar="DIR", help="store folder (default: $POLICYQA_STORE or ./.policyqa)")
    args = parser.parse_args(argv)
    from assistant.settings import load_settings

    try:
        settings = load_settings(host=args.host, port=args.port, auth=args.auth, store=args.store)
    except Exception as exc:
        print(f"policyqa: invalid settings: {exc}", file=sys.stderr)
        return 2
    return serve(settings)


if __name__ == "__main__":
    sys.exit(main())
