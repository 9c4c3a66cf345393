"""One link (or one uploaded file) in, one stored note out: the function Slack and the CLI share.

    capture_url(store, url, channel=…, user=…, ts=…)  → CaptureResult(captured | duplicate | failed)

Failures never raise: they come back with a readable ``error`` and ``permanent`` (should a queue
retry?), so the caller can reply in the thread and keep the job for ``deskbot`` to retry.

Extraction, summarising and parsing an uploaded note run in a child forked per capture under a CPU and
memory budget (``bot.capture.budget``); the fetch (its own deadlines and byte caps) and the store stay
in the caller's process. A capture over budget fails *permanently*: it would fail the same way again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.capture.budget import Budget, BudgetExceeded, ChildStuck, Usage, run_within
from bot.notes import Note, url_note_id
from bot.store import Mention, Store

log = logging.getLogger(__name__)

PDF_TYPES = {"application/pdf", "application/x-pdf"}
TEXT_TYPES = {"text/plain", "text/markdown", "text/x-markdown"}


@dataclass
class CaptureResult:
    status: str  # captured | duplicate | failed
    url: str | None = None
    note: Note | None = None
    error: str | None = None
    permanent: bool = True
    first: Mention | None = None  # for duplicates: the first posting
    notices: list[str] = field(default_factory=list)  # e.g. "little text extracted"
    usage: Usage | None = None  # CPU and memory the budgeted part used (None when it did not run)


@dataclass
class CaptureOptions:
    """What a capture may use; defaults are the production parts."""

    allow: Any = None  # fetch.Allowlist
    fetcher: Callable[..., Any] | None = None
    summarizer: Any = None
    youtube_api: Any = None
    youtube_http: Any = None
    vault: str | None = None
    budget: Budget = field(default_factory=Budget)


def _now(now: datetime | None) -> datetime:
    return (now or datetime.now(UTC)).replace(tzinfo=None, microsecond=0)


def options_from_settings(settings: Any) -> CaptureOptions:
    """Production options from ``Settings`` (allow list and vault; summarizer per DESKBOT_SUMMARIZER)."""
    from bot.capture.fetch import Allowlist

    summarizer = None
    try:
        from bot.capture import llm  # optional module: an LLM summarizer when a key is configured

        summarizer = llm.summarizer_from_settings(settings)
    except ImportError:
        summarizer = None
    return CaptureOptions(
        allow=Allowlist.from_env(settings.fetch_allow), summarizer=summarizer, vault=settings.vault
    )


def capture_url(
    store: Store,
    url: str,
    *,
    channel: str | None = None,
    user: str | None = None,
    ts: str | None = None,
    now: datetime | None = None,
    options: CaptureOptions | None = None,
) -> CaptureResult:
    """Fetch, extract, summarise and store one link; a link already clipped only gains a mention."""
    from bot.capture.links import arxiv_id, canonical_url, youtube_id

    options = options or CaptureOptions()
    moment = _now(now)
    canonical = canonical_url(url)  # never raises; a URL fetch cannot use is refused in words below
    known = _already_clipped(store, canonical)
    if known is not None:
        store.add_mention(url_note_id(canonical), url=url, channel=channel, ts=ts, user=user, at=moment)
        return known
    try:
        if youtube_id(canonical):
            from bot.capture.youtube import extract_video

            video = extract_video(canonical, api=options.youtube_api, http_client=options.youtube_http)
            read: Callable[[], Any] = lambda: video  # noqa: E731
        else:
            target = f"https://arxiv.org/pdf/{arxiv_id(canonical)}" if arxiv_id(canonical) else url
            read = _fetch(target, options, canonical)
        clipped = _clip_within(read, options, channel=channel, user=user, ts=ts, moment=moment)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a readable, recorded result
        return _failure(url, exc)
    return _store_capture(store, clipped, options, channel=channel, user=user, ts=ts, moment=moment)


def _already_clipped(store: Store, canonical: str) -> CaptureResult | None:
    """The "duplicate" result (with the first posting) when this canonical URL has a note already."""
    note = store.get_note(url_note_id(canonical))
    if note is None:
        return None
    return CaptureResult("duplicate", url=canonical, note=note, first=store.first_mention(note.id))


def _fetch(url: str, options: CaptureOptions, canonical: str) -> Callable[[], Any]:
    """Fetch here (network, own deadlines and caps); return the extraction, to run within the budget."""
    from bot.capture.fetch import fetch

    fetcher = options.fetcher or fetch
    fetched = fetcher(url, allow=options.allow)

    def read() -> Any:
        extracted = extract_bytes(fetched.body, fetched.url, fetched.content_type, fetched.charset)
        extracted.url = canonical
        return extracted

    return read


def extract_bytes(data: bytes, url: str, content_type: str, charset: str | None = None) -> Any:
    """Pick the extractor by content type (PDF, plain text / markdown, else HTML)."""
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in PDF_TYPES or data[:5] == b"%PDF-":
        from bot.capture.pdf import extract_pdf

        return extract_pdf(data, url)
    if kind in TEXT_TYPES:
        from bot.capture.extract import extract_text_file

        return extract_text_file(data, url, content_type_charset=charset)
    from bot.capture.extract import extract_article

    return extract_article(data, url, content_type_charset=charset)


def _failure(url: str, exc: Exception) -> CaptureResult:
    from bot.capture.fetch import FetchError

    if isinstance(exc, BudgetExceeded):
        used = f"{exc.usage.cpu_seconds:.1f} s CPU, peak {exc.usage.peak_rss_bytes // 2**20} MB" if exc.usage else "?"
        log.warning("capture of %s over budget: %s (%s)", url, exc.reason, used)
        return CaptureResult("failed", url=url, error=exc.user_text(), permanent=True, usage=exc.usage)
    if isinstance(exc, ChildStuck):
        log.warning("capture of %s: %s", url, exc)
        return CaptureResult("failed", url=url, error=str(exc), permanent=False)
    if isinstance(exc, FetchError):
        return CaptureResult("failed", url=url, error=str(exc), permanent=exc.permanent)
    name = type(exc).__name__
    if name in {"ExtractionError", "TranscriptUnavailable"}:
        return CaptureResult("failed", url=url, error=str(exc), permanent=True)
    log.exception("capture of %s failed unexpectedly", url)
    return CaptureResult("failed", url=url, error=f"could not capture this link ({name})", permanent=False)


def _clip(
    read: Callable[[], Any], options: CaptureOptions, *, channel: str | None, user: str | None, ts: str | None,
    moment: datetime,
) -> tuple[Note, list[str]]:
    """Extract, summarise, build the note: the CPU-bound part of a capture (run within the budget)."""
    from bot.capture.summarize import note_from, summarize

    extracted = read()
    summary = summarize(extracted, options.summarizer)
    note = note_from(extracted, summary, channel=channel, owner=user, clipped=moment)
    if ts:
        note.extra["slack_ts"] = ts
    notices = []
    if "little-text" in note.flags:
        notices.append("little text extracted (paywall or JavaScript page?): no summary made")
    if extracted.problem:
        notices.append(extracted.problem)
    return note, notices


def within_budget(options: CaptureOptions, work: Callable[[], Any]) -> Any:
    """``work()`` in a child under ``options.budget`` (see ``bot.capture.budget``); its value and usage."""
    _warm()
    return run_within(options.budget, work)


_WARM: list[bool] = []
_WARMING = threading.Lock()


def _warm() -> None:
    """Import every module a child may need and run one tiny clip here, once, before any fork.

    Two reasons. Speed: each forked child starts warm (a cold one would import trafilatura and fill its
    caches for every capture: ~0.3 s). Safety: a fork copies no thread but its own, so a module another
    thread was importing at that moment stays locked forever in the child (seen: consumer threads forking
    while one of them was still importing trafilatura). Every thread waits here until warming is done.
    """
    with _WARMING:
        if _WARM:
            return
        import pypdf  # noqa: F401 - imported for the children

        from bot import noteformats  # noqa: F401 - uploaded notes are parsed in the child
        from bot.capture import decay_rules, extract, links, pdf  # noqa: F401
        from bot.capture.summarize import summarize

        sample = Path(__file__).resolve().parent.parent / "samples" / "sample-article.html"
        try:
            summarize(extract_bytes(sample.read_bytes(), "https://desk-research.example/sample", "text/html"))
        except Exception:  # noqa: BLE001 - warming is an optimisation only
            log.debug("could not warm the extractors", exc_info=True)
        _WARM.append(True)


def _clip_within(
    read: Callable[[], Any], options: CaptureOptions, *, channel: str | None, user: str | None, ts: str | None,
    moment: datetime,
) -> tuple[Note, list[str], Usage]:
    outcome = within_budget(options, lambda: _clip(read, options, channel=channel, user=user, ts=ts, moment=moment))
    note, notices = outcome.value
    return note, notices, outcome.usage


def _store_capture(
    store: Store,
    clipped: tuple[Note, list[str], Usage],
    options: CaptureOptions,
    *,
    channel: str | None,
    user: str | None,
    ts: str | None,
    moment: datetime,
) -> CaptureResult:
    note, notices, usage = clipped
    store.upsert_note(note)
    if user or channel:
        store.add_mention(note.id, url=note.url, channel=channel, ts=ts, user=user, at=moment)
    if options.vault:
        write_to_vault(store, note.id, options.vault)
    return CaptureResult("captured", url=note.url, note=store.get_note(note.id), notices=notices, usage=usage)


def capture_local(
    store: Store,
    path: Path,
    url: str,
    content_type: str = "text/html; charset=utf-8",
    *,
    channel: str | None = None,
    user: str | None = None,
    now: datetime | None = None,
    options: CaptureOptions | None = None,
) -> CaptureResult:
    """Capture a saved page as if fetched from ``url`` (the demo's offline clip; no network)."""
    from bot.capture.links import canonical_url

    options = options or CaptureOptions()
    canonical = canonical_url(url)
    known = _already_clipped(store, canonical)
    if known is not None:
        return known
    moment = _now(now)
    try:
        data = path.read_bytes()
        clipped = _clip_within(lambda: extract_bytes(data, canonical, content_type), options,
                               channel=channel, user=user, ts=None, moment=moment)
    except Exception as exc:  # noqa: BLE001
        return _failure(url, exc)
    return _store_capture(store, clipped, options, channel=channel, user=user, ts=None, moment=moment)


def capture_upload(
    store: Store,
    data: bytes,
    filename: str,
    content_type: str = "",
    *,
    channel: str | None = None,
    user: str | None = None,
    ts: str | None = None,
    url: str | None = None,
    now: datetime | None = None,
    options: CaptureOptions | None = None,
) -> CaptureResult:
    """An uploaded clip: a .md/.txt note is imported as-is; a PDF is extracted and summarised."""
    from bot.noteformats import NoteError, parse_text

    options = options or CaptureOptions()
    moment = _now(now)
    suffix = Path(filename).suffix.lower()
    if suffix in {".md", ".markdown", ".txt"} or content_type.split(";")[0].strip() in TEXT_TYPES:
        try:
            parsed = within_budget(options, lambda: parse_text(data.decode("utf-8", errors="replace"), source=filename))
            note = parsed.value
        except NoteError as exc:
            return CaptureResult("failed", url=url, error=str(exc), permanent=True)
        except Exception as exc:  # noqa: BLE001
            return _failure(filename, exc)
        note.channel = note.channel or channel
        note.owner = note.owner or user
        note.clipped = note.clipped or moment
        if ts:
            note.extra.setdefault("slack_ts", ts)
        existed = store.note_row(note.id) is not None
        store.upsert_note(note)
        store.add_mention(note.id, url=note.url or url, channel=channel, ts=ts, user=user, at=moment)
        if options.vault:
            write_to_vault(store, note.id, options.vault)
        return CaptureResult("duplicate" if existed else "captured", url=note.url, note=store.get_note(note.id),
                             usage=parsed.usage)

    def read() -> Any:
        extracted = extract_bytes(data, url or f"file:{filename}", content_type)
        if not extracted.title or extracted.title == extracted.url:
            extracted.title = Path(filename).stem
        return extracted

    try:
        clipped = _clip_within(read, options, channel=channel, user=user, ts=ts, moment=moment)
    except Exception as exc:  # noqa: BLE001
        return _failure(filename, exc)
    return _store_capture(store, clipped, options, channel=channel, user=user, ts=ts, moment=moment)


def write_to_vault(store: Store, note_id: str, vault: str) -> Path | None:
    """Also write the note as markdown into DESKBOT_VAULT (same file name rules as export)."""
    from bot.render import render_note
    from bot.vault import path_in, vault_filename

    note = store.get_note(note_id)
    if note is None:
        return None
    folder = Path(vault)
    folder.mkdir(parents=True, exist_ok=True)
    taken = {p.name for p in folder.glob("*.md") if not _is_file_of(p, note_id)}
    path = path_in(folder, vault_filename(note.title, note.id, taken))
    path.write_text(render_note(note), encoding="utf-8")
    return path


def _is_file_of(path: Path, note_id: str) -> bool:
    try:
        with path.open(encoding="utf-8") as handle:
            head = handle.read(400)
    except OSError:
        return False
    return f"\nid: {note_id}\n" in head or f"\nid: '{note_id}'\n" in head
