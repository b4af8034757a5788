"""The chat UI in a real headless browser (Debian's chromium via Playwright): streaming, source cards, no injection."""

from __future__ import annotations

import html
import os
import re
import shutil
from pathlib import Path

import pytest

pytestmark = [pytest.mark.ui, pytest.mark.integration, pytest.mark.filterwarnings("ignore::Warning:gradio.queueing")]

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
QUESTION = "What are critical minerals and why are they a national security concern?"
HOSTILE_QUESTION = "What is the Zorblatt harbor inspection fee?"
TIMEOUT_MS = 90_000


def _normalize(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (apt-get install -y chromium)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (python) is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture()
def page(browser, live_app):
    context = browser.new_context(viewport={"width": 1440, "height": 1250}, device_scale_factor=1)
    page = context.new_page()
    page.dialogs = []  # any alert()/confirm() fired by document content would land here
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(live_app.url)
    page.locator("#pq-question textarea").wait_for(timeout=TIMEOUT_MS)
    yield page
    context.close()


def _ask(page, question: str):
    """Type a question, press Enter, and wait until the streamed answer is complete; returns its message element."""
    done_before = page.locator("#pq-chat .pq-foot").count()
    box = page.locator("#pq-question textarea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('#pq-chat .pq-foot').length > n", arg=done_before, timeout=TIMEOUT_MS
    )
    return page.locator("#pq-chat .pq-answer").last


def _save_screenshot(page, tmp_path: Path, name: str, publish: bool = False) -> Path:
    """Save a screenshot under tmp_path; with publish, also copy it to $POLICYQA_SCREENSHOT_DIR when set."""
    path = tmp_path / name
    page.screenshot(path=str(path))
    target = os.environ.get("POLICYQA_SCREENSHOT_DIR")
    if publish and target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, Path(target) / name)
    return path


def test_answer_streams_in_with_source_cards(page, live_app, tmp_path):
    answer = _ask(page, QUESTION)
    card = answer.locator(".pq-card").first
    card.wait_for(timeout=TIMEOUT_MS)
    assert "[1]" in answer.locator(".pq-text").inner_text()
    assert page.locator("#pq-chat .pq-question").last.inner_text().strip() == QUESTION

    # the card: title, source, date, section, the quote highlighted in its context, the whole passage on demand
    source = card.locator(".pq-src").inner_text().strip()
    assert source in {d.source for d in live_app.assistant.documents()}
    assert card.locator(".pq-title").inner_text().strip()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", card.locator(".pq-date").inner_text().strip())
    assert card.locator(".pq-sec").inner_text().strip()
    quote = _normalize(card.locator(".pq-context mark").inner_text())
    document = _normalize(live_app.assistant.document_text(source))
    assert len(quote) > 20 and quote in document
    context = _normalize(card.locator(".pq-context").inner_text())
    assert len(context) > len(quote) + 100, "the quote should be shown with surrounding text"
    passage = card.locator(".pq-more .pq-passage")
    assert not passage.is_visible()
    card.locator(".pq-more summary").click()
    passage.wait_for(state="visible")
    assert quote in _normalize(passage.inner_text())
    card.locator(".pq-more summary").click()  # closed again for the screenshot

    shot = _save_screenshot(page, tmp_path, "screenshot-chat.png", publish=True)
    assert shot.stat().st_size > 10_000

    # one click on Export downloads the conversation as Markdown, with its citations
    with page.expect_download(timeout=TIMEOUT_MS) as download:
        page.locator("#pq-export").click()
    exported = tmp_path / download.value.suggested_filename
    download.value.save_as(exported)
    markdown = exported.read_text(encoding="utf-8")
    assert exported.suffix == ".md" and QUESTION in markdown and source in markdown and "   > " in markdown


def test_hostile_document_is_shown_as_text(page, tmp_path):
    answer = _ask(page, HOSTILE_QUESTION)
    answer.locator(".pq-card").first.wait_for(timeout=TIMEOUT_MS)
    shown = answer.inner_text()
    assert "<img src=x" in shown, "the document's markup should be visible as characters"
    assert "<script>alert(1)</script>" in shown
    assert "![tracker](http://evil.invalid/x.png)" in shown

    page.wait_for_timeout(500)  # give any injected handler a chance to run
    assert page.dialogs == []
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert page.evaluate("""() => document.querySelectorAll('img[src="x"], img[src*="evil.invalid"]').length""") == 0
    assert page.evaluate("() => document.querySelectorAll('#pq-chat script, #pq-chat a[href^=\"javascript\"]').length") == 0
    inner = answer.inner_html()
    assert "<img" not in inner and "<script" not in inner
    assert html.escape("<img src=x") in inner or "&lt;img src" in inner
    _save_screenshot(page, tmp_path, "screenshot-hostile.png")


def test_new_conversation_clears_the_chat(page):
    _ask(page, QUESTION)
    page.locator("#pq-new").click()
    page.wait_for_function("() => document.querySelectorAll('#pq-chat .pq-answer').length === 0", timeout=TIMEOUT_MS)


def test_a_citation_opens_the_whole_document_at_the_passage_and_the_conversation_survives_a_reload(page, live_app,
                                                                                                   tmp_path):
    answer = _ask(page, QUESTION)
    marker = answer.locator(".pq-text sup.pq-open").first
    marker.wait_for(timeout=TIMEOUT_MS)

    # hovering the marker previews its source: title and quote
    preview = marker.locator(".pq-preview")
    assert not preview.is_visible()
    marker.hover()
    preview.wait_for(state="visible")
    card_quote = _normalize(answer.locator(".pq-card").first.locator(".pq-context mark").inner_text())
    assert _normalize(preview.locator(".pq-preview-quote").inner_text())[:40] == card_quote[:40]

    # clicking it opens the whole document in the side panel, the passage highlighted and scrolled into view
    marker.click()
    hit = page.locator("#pq-doc-panel mark#pq-hit")
    hit.wait_for(state="visible", timeout=TIMEOUT_MS)
    source = answer.locator(".pq-card").first.locator(".pq-src").inner_text().strip()
    from assistant.ui_render import tidy

    document = _normalize(tidy(live_app.assistant.document_text(source)))  # Markdown marks are not shown
    panel_text = _normalize(page.locator("#pq-doc-panel .pq-doc-text").inner_text())
    assert panel_text[:60] == document[:60] and panel_text[-60:] == document[-60:], "the panel shows the whole document"
    assert abs(len(panel_text) - len(document)) <= 0.01 * len(document)
    assert _normalize(hit.inner_text()) == card_quote
    page.wait_for_timeout(600)
    assert hit.evaluate("""el => { const box = el.getBoundingClientRect();
        const pane = el.closest('.pq-doc-text').getBoundingClientRect();
        return box.top >= pane.top - 1 && box.bottom <= pane.bottom + 1; }"""), "the passage is scrolled into view"
    with page.expect_download(timeout=TIMEOUT_MS) as download:
        page.locator("#pq-original").click()
    assert download.value.suggested_filename == Path(source).name
    _save_screenshot(page, tmp_path, "screenshot-citation-panel.png", publish=True)

    # a reload keeps the conversation, and its citations still open
    page.reload()
    page.locator("#pq-chat .pq-answer").first.wait_for(timeout=TIMEOUT_MS)
    assert page.locator("#pq-chat .pq-question").last.inner_text().strip() == QUESTION
    page.locator("#pq-chat .pq-answer").last.locator(".pq-open-doc").first.click()
    page.locator("#pq-doc-panel mark#pq-hit").wait_for(state="visible", timeout=TIMEOUT_MS)
    page.locator('#pq-doc-sidebar button[aria-label="Toggle Sidebar"]').click()  # the panel closes again
    page.locator("#pq-new").click()
    page.wait_for_function("() => document.querySelectorAll('#pq-chat .pq-answer').length === 0", timeout=TIMEOUT_MS)
    page.reload()
    page.locator("#pq-question textarea").wait_for(timeout=TIMEOUT_MS)
    page.wait_for_timeout(1000)
    assert page.locator("#pq-chat .pq-answer").count() == 0, "a new conversation stays new after a reload"


def test_the_page_fits_a_phone(browser, live_app, tmp_path):
    context = browser.new_context(viewport={"width": 420, "height": 900}, device_scale_factor=1)
    phone = context.new_page()
    try:
        phone.goto(live_app.url)
        phone.locator("#pq-question textarea").wait_for(timeout=TIMEOUT_MS)
        answer = _ask(phone, QUESTION)
        answer.locator(".pq-card").first.wait_for(timeout=TIMEOUT_MS)
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= 420, "no sideways scrolling"
        _save_screenshot(phone, tmp_path, "screenshot-phone.png", publish=True)
        answer.locator(".pq-open-doc").first.click()
        hit = phone.locator("#pq-doc-panel mark#pq-hit")
        hit.wait_for(state="visible", timeout=TIMEOUT_MS)
        phone.wait_for_timeout(600)
        box = hit.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 421 and 0 <= box["y"] <= 900, "the passage is on screen"
        _save_screenshot(phone, tmp_path, "screenshot-phone-citation-panel.png", publish=True)
    finally:
        context.close()


def test_examples_copy_buttons_and_a_verdict_kept_for_evaluation(page, live_app):
    from assistant.evaluation import load_questions

    # the empty chat offers questions drawn from the ingested documents; one click asks it
    example = page.locator("#pq-chat button.example").first
    example.wait_for(timeout=TIMEOUT_MS)
    asked = example.inner_text().strip()
    assert "Executive Order 14" in asked
    done_before = page.locator("#pq-chat .pq-foot").count()
    example.click()
    page.wait_for_function("n => document.querySelectorAll('#pq-chat .pq-foot').length > n", arg=done_before,
                           timeout=TIMEOUT_MS)
    answer = page.locator("#pq-chat .pq-answer").last
    assert asked.split(" (")[0] in page.locator("#pq-chat .pq-question").last.inner_text()

    # copy the answer (with its sources) and one citation
    answer.locator(".pq-copy-answer").click()
    copied = page.evaluate("window.__pqCopied")
    assert copied.startswith(_normalize(answer.locator(".pq-text").inner_text())[:30]) and "\nSources:\n[1] " in copied
    answer.locator(".pq-copy-cite").first.click()
    cited = page.evaluate("window.__pqCopied")
    assert cited.startswith('"') and answer.locator(".pq-src").first.inner_text().strip() in cited

    # a thumbs down lands in the store's feedback file, which `policyqa eval` reads as questions
    feedback = live_app.settings.store_dir / "feedback.jsonl"
    lines_before = len(feedback.read_text().splitlines()) if feedback.exists() else 0
    page.locator('#pq-chat button[aria-label="Dislike"]').last.click()
    page.wait_for_function("() => true")
    for _ in range(50):
        if feedback.exists() and len(feedback.read_text().splitlines()) > lines_before:
            break
        page.wait_for_timeout(100)
    questions = load_questions(feedback)
    assert len(questions) == lines_before + 1 and questions[-1].type == "feedback-disliked"
    assert questions[-1].question.startswith(asked.split(" (")[0]) and questions[-1].evidence is None


def test_a_card_of_a_later_changed_order_links_to_the_change_and_the_panel_shows_its_timeline(page, tmp_path):
    """Issue 18: EO 14257 was suspended in part by EO 14266 two days later; its card says so, the link opens the
    later order at the sentence that suspends it, and the document panel shows the timeline."""
    answer = _ask(page, "What additional ad valorem duty did Executive Order 14257 impose on all imports?")
    assert "suspended by Executive Order 14266 of April 9, 2025" in _normalize(answer.locator(".pq-text").inner_text())
    link = answer.locator(".pq-later-link.pq-open").first
    link.wait_for(timeout=TIMEOUT_MS)
    assert "suspended by Executive Order 14266" in link.inner_text()
    link.click()
    hit = page.locator("#pq-doc-panel mark#pq-hit")
    hit.wait_for(state="visible", timeout=TIMEOUT_MS)
    assert "14266" in page.locator("#pq-doc-panel .pq-doc-title").inner_text()
    assert "is suspended until" in _normalize(hit.inner_text())
    timeline = page.locator("#pq-doc-panel .pq-timeline")
    assert "suspends" in timeline.inner_text() and "Executive Order 14257" in timeline.inner_text()
    page.wait_for_timeout(600)
    _save_screenshot(page, tmp_path, "screenshot-later-change.png", publish=True)
    assert page.dialogs == []
