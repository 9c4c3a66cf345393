"""Import files and folders of notes: parse everything, write the good ones, name the bad ones.

A bad file never reaches the database (it fails in parsing, or its write is rolled back to a
savepoint), and never stops the others.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bot.kb.noteformats import NoteError, parse_file
from bot.kb.notes import Note
from bot.kb.store import ImportOutcome, Store

NOTE_SUFFIXES = {".md", ".markdown", ".txt"}
BATCH = 500
PARALLEL_FROM = 1000  # files; below this a process pool costs more than it saves


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
    with _no_cycle_collection():
        return _import_files(store, list(discover(paths)), today, progress)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector paused for an import, restored after. An import makes many objects that
    reference counting frees, while the caches it fills (analysed claims, term counts) grow: the collector
    found nothing to free in the bench's 2,000-note import but scanned the growing heap in full six times,
    ~15 % of the import (``bench/kb.py``). Nothing cyclic is made per note, so memory stays as it was."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _import_files(
    store: Store, files: list[Path], today: date | None, progress: Callable[[int], None] | None
) -> ImportReport:
    report = ImportReport()
    pool = _parse_pool() if len(files) >= PARALLEL_FROM else None
    # workers parse ahead (in order) while this thread writes the previous batch
    all_results = pool.map(_parse_one, files, chunksize=64) if pool else map(_parse_one, files)
    try:
        for start in range(0, len(files), BATCH):
            batch = files[start : start + BATCH]
            parsed = []
            for path, result in zip(batch, all_results, strict=False):
                if isinstance(result, str):
                    report.failed.append((str(path), result))
                else:
                    parsed.append((path, result))
            try:
                outcomes = _write_batch(store, parsed, today, isolate=False)
            except Exception:  # noqa: BLE001 - retry note by note so one bad note fails alone
                outcomes = _write_batch(store, parsed, today, isolate=True)
            for path, outcome in outcomes:
                if isinstance(outcome, str):
                    report.failed.append((str(path), outcome))
                else:
                    setattr(report, outcome.status, getattr(report, outcome.status) + 1)
            if progress:
                progress(len(batch))
    finally:
        if pool:
            pool.shutdown()
    return report


def _parse_one(path: Path) -> Note | str:
    """Parse one file; a problem comes back as its message (it must cross a process boundary)."""
    if not path.exists():
        return "no such file or folder"
    try:
        return parse_file(path)
    except NoteError as exc:
        return str(exc).removeprefix(f"{path}: ")


def _parse_pool() -> Executor | None:
    """Large imports parse on the other cores while this one writes (SQLite has one writer)."""
    cpus = os.cpu_count() or 1
    if cpus < 2:
        return None
    import multiprocessing

    try:
        context = multiprocessing.get_context("fork")
    except ValueError:  # platforms without fork: parse in-process
        return None
    # forked while the import has the collector paused: parsing (YAML) runs with it, as before
    return ProcessPoolExecutor(max_workers=max(1, cpus - 1), mp_context=context, initializer=gc.enable)


def _write_batch(
    store: Store, parsed: list[tuple[Path, Note]], today: date | None, *, isolate: bool
) -> list[tuple[Path, ImportOutcome | str]]:
    """Write a batch in one transaction (bulk statements). Only after a failure does each note get
    its own savepoint (slow: FTS5 flushes its index at savepoints), to find and skip the bad one."""
    if not isolate:
        outcomes = store.upsert_notes([(note, str(path)) for path, note in parsed], today=today)
        return [(path, outcome) for (path, _), outcome in zip(parsed, outcomes, strict=True)]
    results: list[tuple[Path, ImportOutcome | str]] = []
    with store.write() as conn:
        for path, note in parsed:
            conn.execute("SAVEPOINT note")
            try:
                outcome: ImportOutcome | str = store.upsert_note(note, source_path=str(path), today=today)
            except Exception as exc:  # noqa: BLE001 - one bad note must not stop the import
                conn.execute("ROLLBACK TO note")
                outcome = f"could not store: {exc}"
            conn.execute("RELEASE note")
            results.append((path, outcome))
    return results
