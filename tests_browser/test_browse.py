"""What a researcher sees in a real Chromium: home → claims on a topic → a note → a tag's notes; and a
hostile clip that runs nothing."""

from __future__ import annotations

import re

from tests.web.site import CHANNEL, CLIP_ID, HOSTILE_ID, SLACK_URL


def test_a_researcher_searches_opens_a_note_and_follows_a_tag(site, page, tmp_path):
    page.goto(site)
    assert page.locator("h1").inner_text() == "The team's knowledge base"
    assert re.search(r"\d+ notes · \d+ claims · \d+ stale as of 2026-11-30", page.locator("p.counts").inner_text())
    assert page.get_by_role("link", name="Sepsis prediction in the ICU").is_visible()

    page.get_by_label("Claims on").fill("sepsis prediction")
    page.get_by_role("button", name="Search claims").click()
    page.wait_for_url(re.compile(r"/claims\?q=sepsis"))
    assert page.locator("h1").inner_text().startswith("Claims on “sepsis prediction”")
    first = page.locator("li.claim").first
    assert first.locator(".claim-text").inner_text() == "Sepsis prediction models alert hours before clinicians do"
    assert first.locator(".badge").inner_text().startswith("fresh")
    assert first.locator("a.place").get_attribute("href").endswith("#:~:text=alert%20hours%20before")
    assert "owner U0ANN" in first.inner_text()

    first.locator("a.note-link").click()
    page.wait_for_url(re.compile(f"/note/{CLIP_ID}$"))
    assert page.locator("h1").inner_text() == "Sepsis prediction in the ICU"
    claims = page.locator("section.claims li.claim")
    assert claims.count() == 2
    assert claims.nth(1).locator(".badge").inner_text() == "outdated"
    thread = page.get_by_role("link", name="Slack thread ↗")
    assert thread.get_attribute("href") == f"{SLACK_URL}/archives/{CHANNEL}/p1764000000000100"
    assert "ann" in page.locator("section.validations").inner_text()
    assert page.locator(".rendered em").inner_text() == "help"
    shot = tmp_path / "note.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000

    page.get_by_role("link", name="#sepsis").click()
    page.wait_for_url(re.compile(r"/kb/notes_browse\?"))
    titles = page.locator("table.rows-and-columns td.col-title").all_inner_texts()
    assert sorted(titles) == sorted(["Sepsis prediction in the ICU",
                                     "Sepsis scores <img src=x onerror=alert('title')>"])
    # the tags facet on that page narrows to one tag's notes
    page.locator(".facet-info[data-column='tags'] a", has_text="icu").first.click()
    page.wait_for_url(re.compile(r"tags__arraycontains=icu"))
    assert page.locator("table.rows-and-columns td.col-title").all_inner_texts() == ["Sepsis prediction in the ICU"]
    page.get_by_role("link", name=CLIP_ID).click()
    page.wait_for_url(re.compile(f"/note/{CLIP_ID}$"))


def test_a_hostile_clip_runs_nothing(site, browser, tmp_path):
    # CSP off: the sanitiser alone must hold (the CSP header is checked over HTTP in tests/web)
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    dialogs, console, errors = [], [], []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(site + f"note/{HOSTILE_ID}")
        assert page.locator("article.note > h1").inner_text() == "Sepsis scores <img src=x onerror=alert('title')>"
        body = page.locator(".rendered")
        assert "Real text survives: sepsis alerts fire too late in most wards." in body.inner_text()
        body.get_by_text("hover text").hover()
        body.get_by_text("click me").click()
        body.get_by_text("mixed case").click()
        body.get_by_text("data link").click()
        page.screenshot(path=str(tmp_path / "hostile.png"), full_page=True)
        assert page.url == site + f"note/{HOSTILE_ID}"  # no link went anywhere
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.locator(".rendered script, .rendered img, .rendered iframe, .rendered svg").count() == 0
        assert dialogs == [] and errors == [] and console == []
    finally:
        context.close()
