"""Import files and folders of notes: parse everything, write the good ones, name the bad ones.

A bad file never reaches the database (it fails in parsing, or its write is rolled back to a
savepoint), and never stops the others.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bot.noteformats import NoteError, parse_file
from bot.store import Store

NOTE_SUFFIXES = {".md", ".markdown", ".txt"}
BATCH = 500


@dataclass
class ImportReport:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.imported + self.updated + self.unchanged + len(self.failed)

    def summary(self) -> str:
        return (f"{self.imported} imported, {self.updated} updated, {self.unchanged} unchanged, "
                f"{len(self.failed)} failed")


def discover(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files as given, and note files inside folders (recursively, hidden folders skipped)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path).parts
                if child.is_file() and child.suffix.lower() in NOTE_SUFFIXES and not any(
                    p.startswith(".") for p in rel
                ):
                    yield child
        else:
            yield path


def import_paths(
    store: Store,
    paths: Iterable[str | Path],
    *,
    today: date | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import every note file under ``paths``; ``progress(n)`` is called as files are done."""
    report = ImportReport()
    files = list(discover(paths))
    for start in range(0, len(files), BATCH):
        batch = files[start : start + BATCH]
        with store.write() as conn:
            for i, path in enumerate(batch):
                if not path.exists():
                    report.failed.append((str(path), "no such file or folder"))
                    continue
                try:
                    note = parse_file(path)
                except NoteError as exc:
                    report.failed.append((str(path), str(exc).removeprefix(f"{path}: ")))
                    continue
                conn.execute("SAVEPOINT note")
                try:
                    outcome = store.upsert_note(note, source_path=str(path), today=today)
                except Exception as exc:  # noqa: BLE001 - one bad note must not stop the import
                    conn.execute("ROLLBACK TO note")
                    conn.execute("RELEASE note")
                    report.failed.append((str(path), f"could not store: {exc}"))
                    continue
                conn.execute("RELEASE note")
                setattr(report, outcome.status, getattr(report, outcome.status) + 1)
                if progress and (i + 1) % 50 == 0:
                    progress(50)
        if progress:
            progress(len(batch) % 50)
    return report
