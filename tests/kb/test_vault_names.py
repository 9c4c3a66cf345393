"""Vault and export file names: a slug of the title plus a hash of the id, never the id's raw characters;
nothing is written outside the target folder whatever the ids and titles (issue 13, row 8)."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from bot.capture.pipeline import CaptureOptions, capture_upload
from bot.kb.noteformats import NoteError, parse_text
from bot.kb.notes import Note
from bot.kb.vault import export_vault

HOSTILE_IDS = ["/../../escaped", "a/../../b", "..", "../", "\\..\\..\\w", "%2e%2e%2f", "a" * 300]
CONTROL_IDS = ["x\ny: z", "id\x00nul", "/../\n../x"]
HOSTILE_TITLES = ["../../etc/passwd", "..", ".", "/", "\n", "a" * 400, "CON", "Ünïcödé/..\\title", "-"]
SAFE_NAME = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*\.md$")


def _note_text(note_id: str, title: str) -> str:
    meta = {"deskbot": 1, "id": note_id, "title": title}
    return "---\n" + yaml.safe_dump(meta, allow_unicode=True) + "---\n\nBody.\n"


def _everything_under(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


def test_export_with_hostile_ids_and_titles_stays_in_its_folder(store, tmp_path):
    for note_id in HOSTILE_IDS + CONTROL_IDS:  # stored as they are: the export must not trust them
        store.upsert_note(Note(id=note_id, title="Same title"))  # the slugs collide: the id decides the name
    for n, title in enumerate(HOSTILE_TITLES):
        store.upsert_note(parse_text(_note_text(f"t{n}", title), source=f"t{n}.md"))
    vault = tmp_path / "out" / "vault"
    written = export_vault(store, vault)
    assert len(written) == store.counts()["notes"] == len(HOSTILE_IDS) + len(CONTROL_IDS) + len(HOSTILE_TITLES)
    assert _everything_under(tmp_path / "out") == {vault, *written}  # nothing beside or above the folder
    for path in written:
        assert path.parent == vault and SAFE_NAME.match(path.name), path.name
    assert len({p.name for p in written}) == len(written)


def test_vault_writes_of_uploaded_notes_with_hostile_ids_stay_in_the_vault(store, tmp_path):
    vault = tmp_path / "vault"
    options = CaptureOptions(vault=str(vault))
    for n, note_id in enumerate(HOSTILE_IDS):
        data = _note_text(note_id, "Uploaded").encode()
        result = capture_upload(store, data, f"note{n}.md", "text/markdown", channel="C1", user="U1", ts=f"{n}.0",
                                options=options)
        assert result.status == "captured", result.error
    files = _everything_under(tmp_path)
    assert all(p.parent == vault for p in files if p != vault and p.name != "deskbot.db" and not
               p.name.startswith("deskbot.db")), files
    names = [p.name for p in vault.iterdir()]
    assert len(names) == len(HOSTILE_IDS) and all(SAFE_NAME.match(n) for n in names), names


def test_ids_with_control_characters_are_refused_naming_the_field():
    for note_id in CONTROL_IDS:
        try:
            parse_text(_note_text(note_id, "T"), source="bad.md")
        except NoteError as exc:
            assert str(exc).startswith("bad.md: id: ")
        else:
            raise AssertionError(f"{note_id!r} was accepted")
