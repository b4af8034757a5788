"""HTML and Markdown rendering for the chat UI: pure functions from answers and documents to strings.

Everything that comes from a document (text, titles, sources, headings) or from a user goes
through `esc()`, which applies `html.escape` and then turns every other character that Markdown
could act on into a numeric entity. The chat component runs messages through a Markdown parser
before its HTML sanitizer, so escaping HTML alone is not enough: `![x](y)` or `[a](b)` in a
document must not become an image or a link. The HTML produced here never contains a newline,
so a message is one raw HTML block for the Markdown parser and no Markdown applies inside it.

No Gradio import here: the rendering is testable on its own and the `assistant` package stays light.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import TYPE_CHECKING, Iterable, Mapping, Sequence

if TYPE_CHECKING:  # pragma: no cover - typing only
    from assistant.answers import Answer, Citation
    from assistant.history import Timeline
    from ingest.catalog import DocumentInfo
    from vectorstore.hits import RetrievedChunk

CONTEXT_CHARS = 200
CLOSEST_DOCUMENTS = 4

# Markdown (and KaTeX / autolink) syntax characters, as numeric entities. `&`, `<`, `>` are left
# to html.escape; `;` and letters never need escaping, so html.escape's own entities survive.
_MD_ENTITIES = str.maketrans({ch: f"&#{ord(ch)};" for ch in "\"'[]()!*_`~$\\#|{}:@+=^%-."})
_MARKER = re.compile(r"\[(\d{1,3})\]")
_SPACE = re.compile(r"\s+")
_PARAGRAPH = re.compile(r"\n[ \t]*\n\s*")
_HEADING_HASHES = re.compile(r"(?m)^[ \t]*#{1,6}[ \t]+")
_MD_MARKER = re.compile(r"\\\[(\d{1,3})\\\](?![(:\[])")  # an escaped [n] marker that cannot start a link


# escaping ------------------------------------------------------------------
def esc(text: object) -> str:
    """Escape untrusted text for a chat message or any HTML: no tag, entity, Markdown or newline survives."""
    value = html.escape("" if text is None else str(text), quote=False)
    value = value.translate(_MD_ENTITIES)
    return _SPACE.sub(" ", value) if "\n" in value or "\r" in value else value


def esc_flow(text: object) -> str:
    """Escape text and collapse its whitespace to single spaces (for text reflowed inside a card)."""
    return esc(_SPACE.sub(" ", "" if text is None else str(text)))


def esc_paragraphs(text: str) -> str:
    """Escape text, keeping blank-line paragraph breaks as <br><br> and folding other line breaks."""
    parts = _PARAGRAPH.split(text or "")
    return "<br><br>".join(esc_flow(part) for part in parts)


def md_escape(text: object) -> str:
    """Escape text for a Markdown file: one line, no HTML, no links, images or emphasis."""
    value = _SPACE.sub(" ", "" if text is None else str(text)).strip()
    return re.sub(r"([\\`*_\[\]<>#|~&!])", r"\\\1", value)


def tidy(text: str) -> str:
    """Drop Markdown heading hashes and bold markers from text shown *around* a quote (never from the quote)."""
    return _HEADING_HASHES.sub("", text).replace("**", "")


# small pieces ------------------------------------------------------------------
def section_label(heading: str | None) -> str:
    """The last part of a heading path: `Preamble > Sec. 3 > (b)` -> `(b)`."""
    if not heading:
        return ""
    return heading.rsplit(" > ", 1)[-1].strip()


def location_label(heading: str | None, page: int | None) -> str:
    parts = []
    section = section_label(heading)
    if section:
        parts.append(section)
    if page is not None:
        parts.append(f"p. {page}")
    return " · ".join(parts)


def format_timestamp(ts: float | None) -> str:
    if not ts:
        return ""
    try:
        return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M")
    except (OverflowError, OSError, ValueError):
        return ""


def format_latency(ms: float) -> str:
    return f"{ms / 1000:.1f} s" if ms >= 1000 else f"{ms:.0f} ms"


def _chip(text: str, cls: str = "", title: str = "") -> str:
    if not text:
        return ""
    title_attr = f' title="{esc(title)}"' if title else ""
    return f'<span class="pq-chip {cls}"{title_attr}>{esc(text)}</span>'


# answer text ------------------------------------------------------------------------
def open_class(answer_index: int | None, n: int) -> str:
    """The class that makes an element open citation `n` of the session's answer `answer_index` in the document
    panel (the page's script reads it on click; classes survive the chat's HTML sanitizer, scripts do not)."""
    return f" pq-open pq-cite-{answer_index}-{n}" if answer_index is not None else ""


def render_preview(citation: "Citation") -> str:
    """The card shown while the pointer rests on a `[n]` marker: title, date and section, the quote."""
    where = " · ".join(x for x in (citation.date or "", location_label(citation.heading, citation.page)) if x)
    quote = citation.quote if len(citation.quote) <= 300 else citation.quote[:300].rsplit(" ", 1)[0] + " …"
    return (
        '<span class="pq-preview">'
        f'<span class="pq-preview-title">{esc(citation.title or citation.source)}</span>'
        + (f'<span class="pq-preview-meta">{esc(where)}</span>' if where else "")
        + f'<span class="pq-preview-quote">{esc_flow(quote)}</span>'
        '<span class="pq-preview-hint">Click to open the document at this passage</span></span>'
    )


def render_answer_text(text: str, citations: Sequence["Citation"] = (), answer_index: int | None = None) -> str:
    """The answer's text, escaped, with its `[n]` markers shown as reference badges: hovering one previews its
    source, clicking it (when the answer's place in the session is known) opens the document at the passage."""
    by_n = {c.n: c for c in citations}
    out: list[str] = []
    for index, part in enumerate(_MARKER.split(text or "")):
        if index % 2 == 0:
            out.append(esc_paragraphs(part))
            continue
        cited = by_n.get(int(part))
        if cited is None:
            out.append(f'<sup class="pq-ref">&#91;{esc(part)}&#93;</sup>')
            continue
        out.append(f'<sup class="pq-ref{open_class(answer_index, cited.n)}" tabindex="0">&#91;{esc(part)}&#93;'
                   f"{render_preview(cited)}</sup>")
    return "".join(out)


def render_user_message(question: str) -> str:
    return f'<div class="pq-question">{esc_paragraphs(question)}</div>'


def render_pending(partial: str = "") -> str:
    """The assistant's message while it is being produced."""
    if not partial:
        return '<div class="pq-answer pq-pending"><span class="pq-typing">Searching your documents</span></div>'
    return f'<div class="pq-answer pq-streaming"><div class="pq-text">{render_answer_text(partial)}<span class="pq-caret"></span></div></div>'


def render_error(message: str) -> str:
    return f'<div class="pq-answer"><div class="pq-error"><b>Could not answer.</b> {esc(message)}</div></div>'


# evidence ------------------------------------------------------------------------------
def context_window(text: str, start: int, end: int, radius: int = CONTEXT_CHARS) -> tuple[str, str, str, bool, bool]:
    """(before, quote, after, clipped_left, clipped_right): the quote with ~radius characters either side, cut at words."""
    lo, hi = max(0, start - radius), min(len(text), end + radius)
    before, quote, after = text[lo:start], text[start:end], text[end:hi]
    if lo > 0:
        cut = before.find(" ")
        if 0 <= cut < 40:
            before = before[cut + 1 :]
    if hi < len(text):
        cut = after.rfind(" ")
        if cut > len(after) - 40 and cut > 0:
            after = after[:cut]
    return before, quote, after, lo > 0, hi < len(text)


def passage_span(citation: "Citation", retrieved: Sequence["RetrievedChunk"], text: str | None) -> tuple[int, int] | None:
    """The whole passage a citation was quoted from: its chunk, else the paragraph around the quote."""
    for chunk in retrieved:
        if chunk.chunk_id == citation.chunk_id:
            return chunk.start, chunk.end
    for chunk in retrieved:
        if chunk.source == citation.source and chunk.start <= citation.start and citation.end <= chunk.end:
            return chunk.start, chunk.end
    if text is None:
        return None
    lo = text.rfind("\n\n", 0, citation.start)
    hi = text.find("\n\n", citation.end)
    return (0 if lo < 0 else lo + 2), (len(text) if hi < 0 else hi)


def _quote_found(citation: "Citation", text: str | None) -> bool:
    return text is not None and 0 <= citation.start <= citation.end <= len(text) and text[citation.start : citation.end] == citation.quote


def _highlighted(text: str, span: tuple[int, int], quote: tuple[int, int]) -> str:
    start, end = span
    q_start, q_end = max(quote[0], start), min(quote[1], end)
    if q_start >= q_end:
        return esc_paragraphs(tidy(text[start:end]))
    return (
        esc_paragraphs(tidy(text[start:q_start]))
        + "<mark>" + esc_paragraphs(text[q_start:q_end]) + "</mark>"
        + esc_paragraphs(tidy(text[q_end:end]))
    )


def render_source_card(citation: "Citation", text: str | None, retrieved: Sequence["RetrievedChunk"] = (),
                       answer_index: int | None = None, citations: Sequence["Citation"] = ()) -> str:
    """One numbered source card: title, source, date, section or page, the quote in context, the full passage, and
    (when the answer's place in the session is known) a control that opens the whole document at the quote."""
    head = (
        f'<div class="pq-card-head"><span class="pq-num">{citation.n}</span>'
        f'<span class="pq-title" title="{esc(citation.title)}">{esc(citation.title or citation.source)}</span></div>'
    )
    meta = (
        '<div class="pq-meta">'
        + _chip(citation.source, "pq-src", "Source file")
        + _chip(citation.date or "", "pq-date", "Date")
        + _chip(location_label(citation.heading, citation.page), "pq-sec", citation.heading or "")
        + "</div>"
    )
    if _quote_found(citation, text):
        before, quote, after, left, right = context_window(text, citation.start, citation.end)
        context = (
            f'<span class="pq-around">{"… " if left else ""}{esc_flow(tidy(before))}</span>'
            f"<mark>{esc_flow(quote)}</mark>"
            f'<span class="pq-around">{esc_flow(tidy(after))}{" …" if right else ""}</span>'
        )
        span = passage_span(citation, retrieved, text)
        if span:  # at least what the snippet above shows
            lo = citation.start - len(before)
            span = (min(span[0], lo), max(span[1], citation.end + len(after)))
        full = _highlighted(text, span, (citation.start, citation.end)) if span else ""
    else:  # the document changed or was removed since: show the stored quote alone
        context = "<mark>" + esc_flow(citation.quote) + "</mark>"
        chunk = next((c for c in retrieved if c.chunk_id == citation.chunk_id), None)
        full = esc_paragraphs(chunk.text) if chunk else ""
    body = f'<div class="pq-context">{context}</div>'
    more = (
        f'<details class="pq-more"><summary>Show the whole passage</summary><div class="pq-passage">{full}</div></details>'
        if full
        else ""
    )
    opener = (f'<span class="pq-open-doc{open_class(answer_index, citation.n)}" role="button" tabindex="0">'
              "Open in document</span>" if answer_index is not None and text is not None else "")
    copy = '<span class="pq-copy pq-copy-cite" role="button" tabindex="0">Copy citation</span>'
    later = render_later_changes(citation, citations, answer_index)
    return (f'<div class="pq-card">{head}{meta}{later}{body}{more}'
            f'<div class="pq-card-actions">{opener}{copy}</div></div>')


def render_later_changes(citation: "Citation", citations: Sequence["Citation"] = (),
                         answer_index: int | None = None) -> str:
    """"Revoked by Executive Order 14148 (2025-01-20)" on the card of a document that later documents changed; each
    opens the later document at its sentence (it is one of the answer's citations)."""
    if not citation.later_changes:
        return ""
    links = []
    for change in citation.later_changes:
        cited = next((c for c in citations if c.source == change["source"] and c.start == change["start"]), None)
        label = f'{_CHANGED[change["relation"]]} by ' + (
            change.get("title", "").split(":")[0] or change["source"])
        when = f' ({change["date"]})' if change.get("date") else ""
        if cited is not None and answer_index is not None:
            links.append(f'<span class="pq-later-link{open_class(answer_index, cited.n)}" role="button" tabindex="0" '
                         f'title="{esc(change["quote"])}">{esc(label + when)} [{cited.n}]</span>')
        else:
            links.append(f'<span class="pq-later-link" title="{esc(change["quote"])}">{esc(label + when)}</span>')
    return '<div class="pq-later">Later: ' + " · ".join(links) + "</div>"


_CHANGED = {"amends": "amended", "revokes": "revoked", "supersedes": "superseded", "suspends": "suspended",
            "extends": "extended", "implements": "implemented", "continues": "continued", "modifies": "modified"}


def render_sources(answer: "Answer", texts: Mapping[str, str | None], answer_index: int | None = None) -> str:
    if not answer.citations:
        return ""
    cards = "".join(render_source_card(c, texts.get(c.source), answer.retrieved, answer_index, answer.citations)
                    for c in answer.citations)
    count = len(answer.citations)
    label = f"{count} source" + ("" if count == 1 else "s")
    return f'<details class="pq-sources" open><summary>{label}</summary>{cards}</details>'


def closest_documents(retrieved: Iterable["RetrievedChunk"], limit: int = CLOSEST_DOCUMENTS) -> list["RetrievedChunk"]:
    """The best-ranked chunk of each distinct source, in rank order."""
    seen: set[str] = set()
    out = []
    for chunk in retrieved:
        if chunk.source in seen:
            continue
        seen.add(chunk.source)
        out.append(chunk)
        if len(out) >= limit:
            break
    return out


def refusal_reason(text: str) -> str:
    """A refusal's reason without its sentence naming the closest documents, which the card lists."""
    from assistant.extractive import CLOSEST_DOCUMENTS

    return text.split(CLOSEST_DOCUMENTS, 1)[0]


def render_refusal(answer: "Answer") -> str:
    """A refusal, styled as such, with the closest documents retrieval found."""
    items = "".join(
        "<li>"
        f'<span class="pq-title">{esc(c.title or c.source)}</span>'
        '<div class="pq-meta">'
        + _chip(c.source, "pq-src", "Source file")
        + _chip(c.date or "", "pq-date", "Date")
        + _chip(location_label(c.heading, c.page), "pq-sec", c.heading or "")
        + "</div></li>"
        for c in closest_documents(answer.retrieved)
    )
    closest = (
        f'<div class="pq-closest-label">Closest documents</div><ol class="pq-closest">{items}</ol>'
        if items
        else '<div class="pq-closest-label">The library is empty: add documents in the Document library tab.</div>'
    )
    return (
        '<div class="pq-refusal">'
        '<div class="pq-refusal-head"><span class="pq-refusal-icon">!</span>Not answered: the documents do not support an answer</div>'
        f'<div class="pq-refusal-text">{render_answer_text(refusal_reason(answer.answer) if items else answer.answer)}</div>'
        f"{closest}</div>"
    )


def render_footer(answer: "Answer") -> str:
    parts = [esc(answer.mode), esc(format_latency(answer.latency_ms))]
    if answer.standalone_question and answer.standalone_question != answer.question:
        query = esc(answer.standalone_question[:600])
        parts.append(f'<span class="pq-followup" title="Searched for: {query}">follow-up, searched with the previous exchange</span>')
    if not answer.refused:
        parts.append('<span class="pq-copy pq-copy-answer" role="button" tabindex="0">Copy answer</span>')
    notice = f'<div class="pq-notice">{esc(answer.notice)}</div>' if answer.notice else ""
    return f'{notice}<div class="pq-foot">{" · ".join(parts)}</div>'


def render_answer(answer: "Answer", texts: Mapping[str, str | None], answer_index: int | None = None) -> str:
    """The whole assistant message: answer with [n] badges and source cards, or a refusal box. `answer_index` (the
    answer's place in the session) makes the markers and cards open the cited document."""
    if answer.refused:
        body = render_refusal(answer)
    else:
        body = (f'<div class="pq-text">{render_answer_text(answer.answer, answer.citations, answer_index)}</div>'
                + render_sources(answer, texts, answer_index))
    return f'<div class="pq-answer pq-answer-{answer_index}">{body}{render_footer(answer)}</div>'


# example questions ---------------------------------------------------------------------------
_NUMBERED_TITLE = re.compile(r"^((?:Executive Order|Proclamation|Memorandum)\s+(?:No\.\s*)?\d{3,6})\b")


def example_questions(docs: Sequence["DocumentInfo"], limit: int = 3) -> list[str]:
    """Questions for an empty chat, from what is ingested: what the newest orders (by their number) require, and
    otherwise what the newest documents say."""
    newest = sorted(docs, key=lambda d: (d.date or "", d.source), reverse=True)
    questions: list[str] = []
    for doc in newest:
        numbered = _NUMBERED_TITLE.match(doc.title or "")
        if numbered:
            subject = doc.title[numbered.end():].lstrip(": —-").strip()
            short = subject if len(subject) <= 60 else subject[:60].rsplit(" ", 1)[0] + "…"
            questions.append(f"What does {numbered.group(1)} ({short}) require?" if short
                             else f"What does {numbered.group(1)} require?")
        if len(questions) == limit:
            return questions
    for doc in newest:
        if len(questions) == limit:
            break
        if _NUMBERED_TITLE.match(doc.title or ""):
            continue
        title = doc.title or doc.source
        question = f"What does “{title if len(title) <= 70 else title[:70].rsplit(' ', 1)[0] + '…'}” say?"
        if question not in questions:
            questions.append(question)
    return questions


# the document panel -------------------------------------------------------------------------
DOCUMENT_PANEL_EMPTY = ('<div class="pq-doc-empty">Click a <b>[n]</b> marker or “Open in document” on a source card to '
                        "read the whole document here, scrolled to the passage.</div>")


def render_timeline(timeline: "Timeline | None") -> str:
    """The document's place in the chain: what it acts on and what later documents did to it, dated, each with the
    sentence that says so (as a tooltip)."""
    if timeline is None or not (timeline.acts_on or timeline.acted_on_by):
        return ""
    rows = []
    for change in timeline.acts_on:
        found = "" if change.target_sources else " (not ingested)"
        rows.append(f'<li title="{esc(change.quote)}"><span class="pq-tl-rel">{esc(change.relation)}</span> '
                    f"{esc(change.target_label)}{esc(found)}</li>")
    for change in timeline.acted_on_by:
        rows.append(f'<li title="{esc(change.quote)}"><span class="pq-tl-date">{esc(change.acting_date or "")}</span> '
                    f'<span class="pq-tl-rel">{esc(_CHANGED[change.relation])} by</span> {esc(change.acting_name())}</li>')
    return f'<details class="pq-timeline" open><summary>Timeline</summary><ul>{"".join(rows)}</ul></details>'


def render_document_panel(citation: "Citation", text: str | None, timeline: "Timeline | None" = None) -> str:
    """The whole cited document, escaped, its paragraphs kept, the quoted passage marked (`id="pq-hit"`, which the
    page scrolls to), under its title, source, date and section path (and page, for a PDF)."""
    where = " · ".join(x for x in (citation.date or "", citation.heading or "",
                                   f"page {citation.page}" if citation.page is not None else "") if x)
    head = (f'<div class="pq-doc-head"><div class="pq-doc-title">{esc(citation.title or citation.source)}</div>'
            f'<div class="pq-doc-meta">{_chip(citation.source, "pq-src", "Source file")}'
            + (f'<span class="pq-doc-where">{esc(where)}</span>' if where else "") + "</div></div>")
    if not _quote_found(citation, text):
        body = ('<div class="pq-doc-missing">This document changed or was removed since the answer; the quote as it '
                f'was: <mark id="pq-hit">{esc_flow(citation.quote)}</mark></div>')
        return f'<div class="pq-doc">{head}{body}</div>'
    body = (esc_paragraphs(tidy(text[: citation.start])) + '<mark id="pq-hit">'
            + esc_paragraphs(text[citation.start: citation.end]) + "</mark>" + esc_paragraphs(tidy(text[citation.end:])))
    return f'<div class="pq-doc">{head}{render_timeline(timeline)}<div class="pq-doc-text">{body}</div></div>'


# document library ------------------------------------------------------------------------
def filter_documents(docs: Sequence["DocumentInfo"], query: str | None) -> list["DocumentInfo"]:
    """Documents whose title, source or date contain every word of the query (case-insensitive)."""
    words = (query or "").lower().split()
    if not words:
        return list(docs)
    return [d for d in docs if all(w in f"{d.title} {d.source} {d.date or ''}".lower() for w in words)]


def render_library(docs: Sequence["DocumentInfo"], query: str | None = "") -> str:
    """The library table (title, source, date, chunks, ingested at), filtered by `query`."""
    shown = filter_documents(docs, query)
    total_chunks = sum(d.n_chunks for d in docs)
    summary = f"{len(docs)} document{'' if len(docs) == 1 else 's'} · {total_chunks} passages indexed"
    if query and query.strip():
        summary += f" · {len(shown)} match “{esc(query.strip())}”"
    if not docs:
        return (
            f'<div class="pq-library"><div class="pq-lib-summary">{summary}</div>'
            '<div class="pq-empty">No documents yet. Upload files below, or run <code>policyqa ingest FOLDER</code>.</div></div>'
        )
    rows = "".join(
        "<tr>"
        f'<td class="pq-lib-title">{esc(d.title or d.source)}</td>'
        f'<td class="pq-lib-src">{esc(d.source).replace("/", "/<wbr>")}</td>'
        f'<td class="pq-lib-date">{esc(d.date or "")}</td>'
        f'<td class="pq-lib-num">{d.n_chunks}</td>'
        f'<td class="pq-lib-date">{esc(format_timestamp(d.ingested_at))}</td>'
        "</tr>"
        for d in shown
    )
    if not shown:
        rows = '<tr><td colspan="5" class="pq-empty">No document matches the filter.</td></tr>'
    return (
        f'<div class="pq-library"><div class="pq-lib-summary">{summary}</div>'
        '<div class="pq-lib-scroll"><table class="pq-lib-table"><thead><tr>'
        "<th>Title</th><th>Source</th><th>Date</th><th>Chunks</th><th>Ingested at</th>"
        f"</tr></thead><tbody>{rows}</tbody></table></div></div>"
    )


def document_choices(docs: Sequence["DocumentInfo"], query: str | None = "") -> list[tuple[str, str]]:
    """(label, source) pairs for the remove selector. Labels are shown as text by the dropdown."""
    return [(f"{d.title[:90] or d.source} — {d.source}", d.source) for d in filter_documents(docs, query)]


def library_summary(docs: Sequence["DocumentInfo"]) -> str:
    n = len(docs)
    return f'<div class="pq-stat">{n} document{"" if n == 1 else "s"} · {sum(d.n_chunks for d in docs)} passages</div>'


# export -----------------------------------------------------------------------------------------
def render_export_markdown(answers: Sequence["Answer"], exported_at: str = "") -> str:
    """The conversation as a Markdown file: each question, its answer and its citations (title, source, quote)."""
    lines = ["# policyqa conversation", ""]
    if exported_at:
        lines += [f"Exported {md_escape(exported_at)} · {len(answers)} question{'' if len(answers) == 1 else 's'}", ""]
    for index, answer in enumerate(answers, 1):
        lines += [f"## {index}. {md_escape(answer.question)}", ""]
        if answer.refused:
            lines += [f"**Not answered.** {md_escape(answer.answer)}", ""]
            closest = closest_documents(answer.retrieved)
            if closest:
                lines += ["Closest documents:", ""]
                lines += [f"- {md_escape(c.title or c.source)} ({md_escape(c.source)})" for c in closest]
                lines.append("")
            continue
        lines += [_MD_MARKER.sub(r"[\1]", md_escape(answer.answer)), ""]
        if answer.citations:
            lines += ["**Sources**", ""]
            for c in answer.citations:
                where = " · ".join(x for x in (c.date or "", location_label(c.heading, c.page)) if x)
                lines.append(f"{c.n}. **{md_escape(c.title or c.source)}** — {md_escape(c.source)}" + (f" · {md_escape(where)}" if where else ""))
                lines.append(f"   > {md_escape(c.quote)}")
            lines.append("")
        lines += [f"_{md_escape(answer.mode)} · {format_latency(answer.latency_ms)}_", ""]
    return "\n".join(lines).rstrip() + "\n"
