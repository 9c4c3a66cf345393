"""Export the store as a folder of markdown notes (a vault), one slug-named file per note."""

from __future__ import annotations

from pathlib import Path

from bot.kb.render import render_note, slugify
from bot.kb.store import Store


def vault_filename(title: str, note_id: str, taken: set[str]) -> str:
    """``slug.md``; a second note with the same slug gets its id appended, deterministically."""
    slug = slugify(title)
    name = f"{slug}.md"
    if name in taken:
        name = f"{slug}-{note_id[:8]}.md"
    taken.add(name)
    return name


def export_vault(store: Store, directory: Path) -> list[Path]:
    """Write every note; existing files of the same name are replaced, others left alone."""
    directory.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    written = []
    for note_id in store.note_ids():
        note = store.get_note(note_id)
        if note is None:  # deleted between listing and reading
            continue
        path = directory / vault_filename(note.title, note.id, taken)
        path.write_text(render_note(note), encoding="utf-8")
        written.append(path)
    return written
