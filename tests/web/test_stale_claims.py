"""The stale page (the digest as a page) lists claims due before their note, as the digest and /stale do."""

from __future__ import annotations

from datetime import date

from bot.kb.notes import Claim, Note
from bot.kb.store import Store
from tests.web.site import TODAY, serve
from tests.web.test_pages import as_json, page, text_of


def test_stale_page_lists_a_claim_due_before_its_note(tmp_path):
    path = tmp_path / "kb.db"
    store = Store.open(str(path))
    store.upsert_note(Note(  # slow: due 2027-04-25; its price claim 2026-11-26
        id="p1", title="Vector DB pricing", url="https://example.org/p1", owner="U0ANN", decay_rate="slow",
        last_validated=date(2026, 10, 27), body="",
        claims=[Claim(text="Vector search finds neighbours by distance."),
                Claim(text="The managed tier costs $70 per month.")],
    ))
    store.close()
    with serve(path, today=TODAY) as url:
        data = as_json(url + "stale.json")
        shown = text_of(page(url + "stale"))
    assert data["total"] == 0 and data["due_claim_notes"] == 1
    [claim] = data["due_claims"]
    assert (claim["note"]["id"], claim["claim"], claim["due"]) == ("p1", 2, "2026-11-26")
    line = "claim 2 states a price: due 2026-11-26 (4 days ago), before its note (2027-04-25)"
    assert claim["line"] == line
    assert "Claims due before their note (1 note)" in shown and line in shown
    assert "deskbot validate p1 --claim 2" in shown and "Vector search finds" not in shown
