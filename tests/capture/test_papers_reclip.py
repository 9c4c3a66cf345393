"""Re-clipping a paper's newer version (``bot.capture.papers.reclip``), the plain function the *Re-clip* button's
job and ``deskbot reclip`` share: over real HTTP against the scholarly stand-ins, on a real SQLite file."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.capture.papers.reclip import NothingToReclip, offers, reclip
from bot.capture.papers.status import check
from tests.capture.test_papers import NOW, apis, clip, options  # noqa: F401 - apis is a fixture

ARXIV = "2204.08348"
LATER = NOW + timedelta(days=7)


def clipped_at_v2(store, fake, papers):
    fake.arxiv_latest[ARXIV] = 2
    old = clip(store, papers, f"https://arxiv.org/abs/{ARXIV}")
    assert old.status == "captured", old.error
    fake.arxiv_latest.clear()
    found = check(store, [old.note.id], papers, LATER)
    assert [(f.update.kind, f.update.ref) for f in found.found] == [("new_version", f"{ARXIV}v3")]
    return old.note


def test_reclip_makes_one_linked_note_of_the_newer_version_and_flags_the_old_claims(store, apis):  # noqa: F811
    fake, papers, _ = apis
    old = clipped_at_v2(store, fake, papers)
    offer, published = offers(store, old.id)  # the latest finding first; the journal version came with the clip
    assert (offer.label, offer.url) == ("v3", f"https://arxiv.org/abs/{ARXIV}v3")
    assert (published.label, published.url) == ("the published version", "https://doi.org/10.1145/3533767.3534401")
    result = reclip(store, old.id, options=options(papers), now=LATER, channel="C1", user="U1", ts="1.1")
    assert result.status == "captured", result.error
    new = result.note
    assert new.id != old.id and new.url == f"https://arxiv.org/abs/{ARXIV}v3" and new.extra["version"] == 3
    assert new.extra["supersedes"] == old.id
    assert any(n.startswith("♻️ Re-clipped v3 of “Automated Test Generation") for n in result.notices)
    before = store.get_note(old.id)
    assert before.extra["superseded_by"] == new.id and "superseded" in before.flags
    assert {c.text for c in before.claims} == {c.text for c in old.claims}  # the old note's content is kept
    assert {r[0] for r in store.conn.execute("SELECT flag FROM claims WHERE note_id = ?", (old.id,))} == \
        {"superseded"}
    pdfs = [path for _, path, _, _ in fake.requests if path.startswith("pdf/")]
    assert pdfs == [f"pdf/{ARXIV}", f"pdf/{ARXIV}v3"]  # the latest PDF when clipped (v2), then v3's own

    again = reclip(store, old.id, options=options(papers), now=LATER)
    assert again.status == "duplicate" and again.note.id == new.id
    assert again.notices == [f"v3 was re-clipped already: note {new.id}"]
    assert pdfs == [path for _, path, _, _ in fake.requests if path.startswith("pdf/")]  # nothing fetched again
    assert store.counts()["notes"] == 2


def test_the_superseded_flag_survives_a_reimport_of_the_old_note(store, apis):  # noqa: F811
    fake, papers, _ = apis
    old = clipped_at_v2(store, fake, papers)
    reclip(store, old.id, options=options(papers), now=LATER)
    note = store.get_note(old.id)
    note.summary = (note.summary or "") + " Edited in the vault."
    for claim in note.claims:
        claim.text += " (edited)"  # new claim rows: the trigger flags them again
    store.upsert_note(note)
    assert {r[0] for r in store.conn.execute("SELECT flag FROM claims WHERE note_id = ?", (old.id,))} == \
        {"superseded"}


def test_nothing_to_reclip_is_said_in_words(store, apis):  # noqa: F811
    _, papers, _ = apis
    plain = clip(store, papers, "https://doi.org/10.1371/journal.pone.0033693")
    assert plain.status == "captured", plain.error
    with pytest.raises(NothingToReclip, match="no newer version of this paper is known"):
        reclip(store, plain.note.id, options=options(papers), now=NOW)


def test_a_medrxiv_version_is_reclipped_under_its_own_page_not_the_shared_doi(store, apis):  # noqa: F811
    _, papers, _ = apis
    old = clip(store, papers, "https://www.medrxiv.org/content/10.1101/2020.09.09.20191205v1")
    assert old.status == "captured", old.error
    offer = next(o for o in offers(store, old.note.id) if o.kind == "new_version")
    assert offer.url == offer.identity == "https://www.medrxiv.org/content/10.1101/2020.09.09.20191205v2"
    result = reclip(store, old.note.id, want="v2", options=options(papers), now=NOW + timedelta(hours=1))
    assert result.status == "captured", result.error
    assert result.note.id != old.note.id and result.note.url == offer.url
    assert result.note.extra["version"] == 2 and result.note.extra["supersedes"] == old.note.id
    assert store.get_note(old.note.id).extra["superseded_by"] == result.note.id


def test_deskbot_reclip_prints_the_new_note_and_refuses_a_note_without_a_newer_version(store, apis):  # noqa: F811
    from click.testing import CliRunner

    from bot.cli import cli

    fake, papers, _ = apis
    old = clipped_at_v2(store, fake, papers)
    env = {f"DESKBOT_{k.upper()}": v for k, v in fake.settings().items()}
    env.update(DESKBOT_FETCH_ALLOW="127.0.0.1", DESKBOT_CONTACT_EMAIL="desk@example.org")
    out = CliRunner().invoke(cli, ["reclip", old.id, "--db", store.path], env=env)
    assert out.exit_code == 0, out.output
    assert "Automated Test Generation for REST APIs" in out.output
    assert f"<https://arxiv.org/abs/{ARXIV}v3>" in out.output and "♻️ Re-clipped v3" in out.output
    twice = CliRunner().invoke(cli, ["reclip", old.id, "--db", store.path], env=env)
    assert twice.exit_code == 0 and "v3 was re-clipped already" in twice.output
    new_id = store.get_note(old.id).extra["superseded_by"]
    wrong = CliRunner().invoke(cli, ["reclip", new_id, "--version", "v9", "--db", store.path], env=env)
    assert wrong.exit_code == 1 and "Traceback" not in wrong.output
    assert "the version asked for is not among those found (the published version)" in wrong.output


def test_a_click_value_that_names_a_finding_of_another_note_queues_nothing(store):
    from bot.capture.papers import records as rec
    from bot.capture.papers.status import record
    from bot.kb.notes import Note
    from bot.slack import reclips

    store.upsert_note(Note(id="a", title="A", kind="paper", url="https://arxiv.org/abs/1605.08386", owner="U1",
                           extra={"archiveID": "arXiv:1605.08386", "version": 1}))
    store.add_mention("a", url="https://arxiv.org/abs/1605.08386", channel="C1", ts="2.2", user="U1", at=NOW)
    [found] = record(store, "a", [rec.Update(rec.NEW_VERSION, "1605.08386v2", None, "arxiv", "v2")],
                     datetime(2026, 12, 1))
    assert reclips.ask(store, "b", found.id, by="U2", channel="C1", message_ts="3.3").status == reclips.GONE
    first = reclips.ask(store, "a", found.id, by="U2", channel="C1", message_ts="3.3")
    second = reclips.ask(store, "a", found.id, by="U2", channel="D1", message_ts="4.4")
    assert (first.status, second.status) == (reclips.QUEUED, reclips.ASKED)
    assert store.conn.execute("SELECT channel, ts, user, url FROM jobs").fetchall() == [
        ("C1", "2.2", "U1", "https://arxiv.org/abs/1605.08386v2")]  # in the paper's thread, for its owner
