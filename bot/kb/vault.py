"""Export the store as a folder of markdown notes (a vault), one slug-named file per note."""

from __future__ import annotations

import hashlib
from pathlib import Path

from bot.kb.render import render_note, slugify
from bot.kb.store import Store


def vault_filename(title: str, note_id: str, taken: set[str]) -> str:
    """``slug.md``; a second note with the same slug gets a hash of its id appended, deterministically.

    Only the slug (ASCII letters, digits, dashes) and hex digits ever reach the name: an id is any text in
    an imported file, and its raw characters (``/../``, a newline) once wrote a file outside the folder.
    """
    slug = slugify(title)
    name = f"{slug}.md"
    if name in taken:
        name = f"{slug}-{hashlib.sha256(note_id.encode('utf-8', 'replace')).hexdigest()[:8]}.md"
    taken.add(name)
    return name


def path_in(directory: Path, name: str) -> Path:
    """``directory / name``, refusing any name that would land elsewhere (a last guard: names are slugs)."""
    path = directory / name
    if path.parent != directory or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name:
        raise ValueError(f"refusing to write {name!r} outside {directory}")
    return path


def export_vault(store: Store, directory: Path) -> list[Path]:
    """Write every note; existing files of the same name are replaced, others left alone."""
    directory.mkdir(parents=True, exist_ok=True)
    taken: set[str] = set()
    written = []
    for note_id in store.note_ids():
        note = store.get_note(note_id)
        if note is None:  # deleted between listing and reading
            continue
        path = path_in(directory, vault_filename(note.title, note.id, taken))
        path.write_text(render_note(note), encoding="utf-8")
        written.append(path)
    return written
