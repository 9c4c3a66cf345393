"""`deskbot import-slack-export`: an admin's export becomes the notes live capture would have made —
the same rules, the original posters and times, quietly, with no Slack call; bad files refused whole."""

from __future__ import annotations

import sqlite3
import struct
from datetime import UTC, datetime

import pytest

from tests.slack.exports import ANA, BEN, CLIPPED, NEVER_FETCHED, RESEARCH, build_export
from tests.slack.listeners.harness import link_event, running_bot, wait_idle


def _posted(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), UTC).replace(tzinfo=None, microsecond=0)


def _mentions(store, site) -> dict[str, list[tuple[str, str, datetime]]]:
    """Per site path: (poster, message ts, time) of every mention, oldest first."""
    out: dict[str, list[tuple[str, str, datetime]]] = {}
    for note_id in store.note_ids():
        note = store.get_note(note_id)
        path = "/" + note.url.split("/", 3)[3].split("?")[0]
        out[path] = [(m.user, m.ts, m.at) for m in store.mentions(note_id)]
    return out


def test_the_export_becomes_notes_by_the_live_rules_with_no_slack_call(deskbot, fake, site, tmp_path):
    export = build_export(tmp_path / "export.zip", site.base)
    result = deskbot.invoke("import-slack-export", str(export), "--channel", "research")
    assert result.exit_code == 0, result.output
    assert "15 messages, 9 links → 6 notes; 0 failed" in result.output
    assert "1 file shares skipped" in result.output
    assert fake.calls() == []  # no Slack call at all: no reply, no 👀, no lookup

    store = deskbot.store()
    expected: dict[str, list[tuple[str, str, datetime]]] = {}
    for path, ts, user in CLIPPED:
        expected.setdefault(path, []).append((user, ts, _posted(ts)))
    assert _mentions(store, site) == {path: sorted(found, key=lambda m: m[2]) for path, found in expected.items()}
    for note_id in store.note_ids():  # owner = the first poster, clipped = when it was posted
        note = store.get_note(note_id)
        first = store.first_mention(note_id)
        assert (note.owner, note.clipped, note.channel) == (first.user, first.at, RESEARCH)
    assert site.hits == {f"/a/{n}": 1 for n in range(1, 7)}  # each link fetched once; the ignored never
    assert not any(path in site.hits for path in NEVER_FETCHED)
    rows = store.conn.execute("SELECT status, batch IS NOT NULL, reply_ts FROM jobs").fetchall()
    assert rows == [("done", 1, None)] * len(CLIPPED)


def test_a_link_posted_live_and_found_again_is_one_note_with_one_more_mention(fake, site, tmp_path, deskbot):
    first_post = next(m for m in CLIPPED if m[2] == ANA)  # the export's first message, also seen live
    with running_bot(fake, tmp_path, channels=(RESEARCH,)) as bot:
        bot.event({"type": "event_callback", **_envelope(site.url(1), first_post[1], ANA)})
        bot.event({"type": "event_callback", **_envelope(site.url(5), "1764500000.000100", BEN)})
        assert wait_idle(bot.app, 20)
        replies = len(fake.calls("chat.postMessage"))
        assert replies == 2
        export = build_export(tmp_path / "export.zip", site.base)
        result = deskbot.invoke("import-slack-export", str(export), "--channel", "research")
        assert result.exit_code == 0, result.output
        assert "(1 already clipped live)" in result.output
        assert wait_idle(bot.app, 10)
        assert len(fake.calls("chat.postMessage")) == replies  # the backfill stayed quiet
        assert len(fake.calls("reactions.add")) == 2

    store = deskbot.store()
    mentions = _mentions(store, site)
    assert len(store.note_ids()) == 6
    # the same message live and in the export: one job, one mention; another message: one more mention
    assert sorted((u, ts) for u, ts, _ in mentions["/a/1"]) == [(ANA, "1741000000.000100"),
                                                                  ("U07CHO0003", "1741093600.000300")]
    assert sorted((u, ts) for u, ts, _ in mentions["/a/5"]) == [(BEN, "1741097200.000500"), (BEN, "1764500000.000100")]
    backfilled = [m for m in mentions["/a/1"] + mentions["/a/5"] if m[1] in ("1741093600.000300", "1741097200.000500")]
    assert [at for _, _, at in backfilled] == [_posted(ts) for _, ts, _ in backfilled]  # when posted, not now
    assert store.conn.execute("SELECT count(*) FROM jobs").fetchone()[0] == len(CLIPPED) + 1
    assert site.hits["/a/1"] == 1 and site.hits["/a/5"] == 1


def _envelope(url: str, ts: str, user: str) -> dict:
    from tests.slack.listeners.harness import envelope

    return envelope(link_event(url, ts=ts, user=user, channel=RESEARCH))


def _bomb() -> bytes:
    return b"[" + b" " * (6 * 1024 * 1024) + b"]"


@pytest.mark.parametrize(("make", "said"), [
    (lambda p, base: p.write_bytes(b"channels.json users.json, honest") and p, "is not a ZIP file, or it is damaged"),
    (lambda p, base: p.write_bytes(build_export(p, base).read_bytes()[:900]) and p,
     "is not a ZIP file, or it is damaged"),
    (lambda p, base: build_export(p, base, drop=("channels.json",)), "is not a Slack export: no channels.json"),
    (lambda p, base: build_export(p, base, extra={"../../evil/2025-03-06.json": b"[]"}), "path traversal"),
    (lambda p, base: build_export(p, base, extra={"/etc/cron.d/deskbot": b"* * * * * true"}), "path traversal"),
    (lambda p, base: build_export(p, base, extra={"research/2025-03-06.json": _bomb()}), "a zip bomb"),
    (lambda p, base: build_export(p, base, extra={"research/2025-03-06.json": b'[{"type": "message", "te'}),
     "research/2025-03-06.json is not JSON"),
    (lambda p, base: build_export(p, base, extra={"research/2025-03-06.json": b'{"not": "a list"}'}),
     "is not a list of objects"),
], ids=["not-a-zip", "truncated", "not-slack", "traversal", "absolute-path", "zip-bomb", "bad-json", "not-a-list"])
def test_a_bad_export_is_refused_in_one_line_with_nothing_written(deskbot, site, tmp_path, make, said):
    export = make(tmp_path / "export.zip", site.base)
    result = deskbot.invoke("import-slack-export", str(export), "--channel", "research")
    assert result.exit_code == 1
    assert said in result.output
    assert result.output.count("\n") == 1 and result.output.startswith("Error: ")
    assert site.total() == 0
    assert not (tmp_path / "evil").exists()
    if deskbot.db.exists():  # parsed after the database was opened: still nothing recorded
        conn = sqlite3.connect(deskbot.db)
        assert conn.execute("SELECT count(*) FROM jobs").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM backfills").fetchone()[0] == 0


def test_a_member_whose_header_lies_about_its_size_is_never_read_past_it(deskbot, site, tmp_path):
    export = build_export(tmp_path / "export.zip", site.base,
                          extra={"research/2025-03-06.json": b"[" + b" " * (8 * 1024 * 1024) + b"]"})
    data = bytearray(export.read_bytes())
    name = b"research/2025-03-06.json"
    entry = data.index(name, data.index(name) + 1) - 46  # its central directory entry (the name's 2nd copy)
    assert data[entry:entry + 4] == b"PK\x01\x02"
    struct.pack_into("<I", data, entry + 24, 1000)  # claims 1,000 bytes unpacked: passes every size check
    export.write_bytes(bytes(data))
    result = deskbot.invoke("import-slack-export", str(export), "--channel", "research")
    assert result.exit_code == 1
    assert "is damaged: cannot read 'research/2025-03-06.json'" in result.output
    conn = sqlite3.connect(deskbot.db)
    assert conn.execute("SELECT count(*) FROM jobs").fetchone()[0] == 0


def test_an_unknown_channel_names_the_ones_there_are(deskbot, site, tmp_path):
    export = build_export(tmp_path / "export.zip", site.base)
    result = deskbot.invoke("import-slack-export", str(export), "--channel", "#papers")
    assert result.exit_code == 1
    assert result.output == "Error: no channel #papers in export.zip (it has: #general, #research)\n"


def test_dry_run_counts_and_stores_nothing(deskbot, site, tmp_path):
    export = build_export(tmp_path / "export.zip", site.base)
    result = deskbot.invoke("import-slack-export", str(export), "--channel", "research", "--dry-run")
    assert result.exit_code == 0
    assert "3 days, 15 messages, 9 links would be clipped (1 file shares skipped)" in result.output
    assert not deskbot.db.exists() and site.total() == 0
