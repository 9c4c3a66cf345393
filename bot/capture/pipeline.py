"""One link (or one uploaded file) in, one stored note out: the function Slack and the CLI share.

    capture_url(store, url, channel=…, user=…, ts=…)  → CaptureResult(captured | duplicate | failed)

Failures never raise: they come back with a readable ``error`` and ``permanent`` (should a queue
retry?), so the caller can reply in the thread and keep the job for ``deskbot`` to retry.

Extraction, summarising and parsing an uploaded note run in a child forked per capture under a CPU and
memory budget (``bot.capture.budget``), and so do a YouTube transcript's fetch and parse (the library does
both at once) and a paper's PubMed Central XML; the fetch of pages (its own deadlines and byte caps) and the
store stay in the caller's process. A capture over budget fails *permanently*: it would fail the same way again.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.capture.budget import Budget, BudgetExceeded, ChildStuck, Usage, run_within
from bot.kb.notes import Note, url_note_id
from bot.kb.now import wall_clock
from bot.kb.store import Mention, Store

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
    papers: Any = None  # papers.apis.PaperAPIs: scholarly links read from the open APIs (None: as web pages)
    youtube_proxy: Any = None  # youtube-transcript-api ProxyConfig (DESKBOT_YOUTUBE_PROXY)
    youtube_meta: Callable[[str], dict[str, Any]] | None = None  # video id → public details (no transcript)
    budget: Budget = field(default_factory=Budget)


def _now(now: datetime | None) -> datetime:
    return (now or wall_clock()).replace(tzinfo=None, microsecond=0)


def options_from_settings(settings: Any) -> CaptureOptions:
    """Production options from ``Settings`` (allow list and vault; summarizer per DESKBOT_SUMMARIZER)."""
    from bot.capture import summarizers
    from bot.capture.fetch import Allowlist

    summarizer = summarizers.summarizer_from_settings(settings)  # None: the extractive summary
    from bot.capture.papers.apis import PaperAPIs
    from bot.capture.video_meta import proxy_config, video_metadata

    allow = Allowlist.from_env(settings.fetch_allow)
    return CaptureOptions(
        allow=allow, summarizer=summarizer, vault=settings.vault,
        papers=PaperAPIs.from_settings(settings, allow=allow),
        youtube_proxy=proxy_config(settings.youtube_proxy, rotating=settings.youtube_proxy_rotating),
        youtube_meta=functools.partial(video_metadata, base=settings.youtube_url, allow=allow),
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
    identity: str | None = None,
) -> CaptureResult:
    """Fetch, extract, summarise and store one link; a link already clipped only gains a mention.

    ``identity``: the URL a paper's note is keyed by instead of its work's (a re-clipped bioRxiv version shares
    the DOI of the note it supersedes, so it is keyed by the version's page; ``papers.reclip``)."""
    from bot.kb.links import arxiv_id, canonical_url, youtube_id

    options = options or CaptureOptions()
    moment = _now(now)
    canonical = canonical_url(url)  # never raises; a URL fetch cannot use is refused in words below
    known = _already_clipped(store, canonical)
    if known is not None:
        upgraded = _retry_transcript(store, known, options, moment)
        store.add_mention(url_note_id(canonical), url=url, channel=channel, ts=ts, user=user, at=moment)
        return upgraded or known
    paper = _paper_ref(url, options)
    if paper is not None:
        return _capture_paper(store, paper, url, options, channel=channel, user=user, ts=ts, moment=moment,
                              identity=identity)
    try:
        read: Callable[[], Any]
        if youtube_id(canonical):
            from bot.capture.youtube import extract_video

            warm_video()

            def read() -> Any:  # fetched, parsed and summarised in the budgeted child: a transcript is input too
                return extract_video(canonical, api=options.youtube_api, http_client=options.youtube_http,
                                     proxy=options.youtube_proxy, metadata=options.youtube_meta)

            what = "the video's transcript: "
        else:
            arxiv = arxiv_id(canonical)
            fetched = _fetch(f"https://arxiv.org/pdf/{arxiv}" if arxiv else url, options)
            if options.papers is not None and (cited := _cited_doi(fetched)) is not None:
                # a journal's page (often a paywall) that names its DOI: the open metadata and text instead
                return _capture_paper(store, cited, url, options, channel=channel, user=user, ts=ts, moment=moment)
            shown = url if arxiv else None  # arXiv: the abstract page people posted, not the PDF fetched

            def read() -> Any:
                extracted = extract_bytes(fetched.body, fetched.url, fetched.content_type, fetched.charset)
                extracted.url = shown or extracted.url
                return extracted

            what = ""
        try:
            clipped = _read_within(options, read)
        except BudgetExceeded as exc:
            raise BudgetExceeded(what + exc.reason, exc.usage) from None
    except Exception as exc:  # noqa: BLE001 - every failure becomes a readable, recorded result
        return _failure(url, exc)
    return _store_capture(store, clipped, options, channel=channel, user=user, ts=ts, moment=moment,
                          identity=canonical)


def _cited_doi(fetched: Any) -> Any:
    """The DOI an HTML page declares for itself (``citation_doi`` and kin), as a ``PaperRef``."""
    if fetched.content_type not in ("text/html", "application/xhtml+xml"):
        return None
    from bot.capture.papers.refs import DOI, PaperRef, doi_from_html

    doi = doi_from_html(fetched.body[:300_000])
    return PaperRef(DOI, doi) if doi else None


def _retry_transcript(store: Store, known: CaptureResult, options: CaptureOptions,
                      moment: datetime) -> CaptureResult | None:
    """A video clipped without its transcript, posted again or re-queued by ``deskbot retry``: try the
    transcript once more; with one, the note is remade from it (same id, first clipping and owner kept)."""
    from bot.capture.youtube import extract_video, video_id_of

    note = known.note
    if note is None or note.kind != "video" or "no-transcript" not in note.flags or not note.url:
        return None
    if video_id_of(note.url) is None:
        return None
    url = note.url
    warm_video()
    try:  # in the budgeted child, as a first capture's transcript is
        extracted = within_budget(options, lambda: extract_video(
            url, api=options.youtube_api, http_client=options.youtube_http, proxy=options.youtube_proxy)).value
    except Exception:  # noqa: BLE001 - the note as it is stays; this was only a second chance
        log.exception("transcript retry of %s failed", note.url)
        return None
    if not extracted.segments:
        return None
    first = known.first
    try:
        result = _store_capture(store, extracted, options, channel=note.channel, user=note.owner,
                                ts=first.ts if first else None, moment=note.clipped or moment)
    except Exception:  # noqa: BLE001 - over budget, a stuck child…: the note as it is stays
        log.exception("transcript retry of %s could not be summarised", note.url)
        return None
    result.notices.insert(0, "🎬 The transcript could be fetched now: the note is remade from it.")
    result.first = first
    return result


def _paper_ref(url: str, options: CaptureOptions) -> Any:
    if options.papers is None:
        return None
    from bot.capture.papers.refs import recognise

    return recognise(url)


def _capture_paper(
    store: Store, ref: Any, url: str, options: CaptureOptions, *, channel: str | None, user: str | None,
    ts: str | None, moment: datetime, identity: str | None = None,
) -> CaptureResult:
    """A scholarly link: open metadata and the best open text; an API outage falls back to the page."""
    from bot.capture.papers.apis import ApiUnavailable
    from bot.capture.papers.capture import extract_paper, lookup_error_reply
    from bot.kb.links import canonical_url

    pending = None
    try:
        extracted = extract_paper(ref, options.papers, lambda target: _fetch_and_extract(target, options),
                                  lambda work: within_budget(options, work).value)
    except ApiUnavailable as exc:
        pending = str(exc)
    except (BudgetExceeded, ChildStuck) as exc:  # the open full text was too large or too complex
        return _failure(url, exc)
    except Exception as exc:  # noqa: BLE001 - every failure becomes a readable, recorded result
        message, permanent = lookup_error_reply(exc)
        return CaptureResult("failed", url=url, error=message, permanent=permanent)
    if pending is not None:
        try:
            extracted = _fetch_and_extract(url, options)
        except Exception as exc:  # noqa: BLE001
            failed = _failure(url, exc)
            failed.error = f"{pending}; the page itself: {failed.error}"
            # the metadata may answer later; a page over budget will not shrink
            failed.permanent = isinstance(exc, BudgetExceeded)
            return failed
        extracted.url, extracted.kind = ref.canonical, "paper"
        extracted.meta["metadata_pending"] = f"{ref.kind}:{ref.value}"
        extracted.problem = (f"the scholarly metadata services did not answer ({pending}): clipped the page; "
                             "the metadata is fetched again at the next re-check")
    if identity:
        extracted.url = identity
    known = _already_clipped(store, canonical_url(extracted.url))
    if known is not None and known.note is not None:
        store.add_mention(known.note.id, url=url, channel=channel, ts=ts, user=user, at=moment)
        return known
    info = list(extracted.meta.pop("paper_notices", None) or [])[:1]
    try:
        result = _store_capture(store, extracted, options, channel=channel, user=user, ts=ts, moment=moment)
    except Exception as exc:  # noqa: BLE001 - over budget, a stuck child: said in words, retried only if it may pass
        return _failure(url, exc)
    result.notices = info + result.notices
    if result.note is not None and pending is None:
        from bot.capture.papers.status import record_at_capture

        record_at_capture(store, result.note, moment)
        result.note = store.get_note(result.note.id)
    return result


def _already_clipped(store: Store, canonical: str) -> CaptureResult | None:
    """The "duplicate" result (with the first posting) when this canonical URL has a note already."""
    note = store.get_note(url_note_id(canonical))
    if note is None:
        return None
    return CaptureResult("duplicate", url=note.url or canonical, note=note, first=store.first_mention(note.id))


def _fetch(url: str, options: CaptureOptions) -> Any:
    from bot.capture.fetch import fetch

    fetcher = options.fetcher or fetch
    return fetcher(url, allow=options.allow)


def _fetch_and_extract(url: str, options: CaptureOptions) -> Any:
    """Fetch here; extract in a child within the budget (a paper's open PDF is as untrusted as any page)."""
    fetched = _fetch(url, options)
    return within_budget(
        options, lambda: extract_bytes(fetched.body, fetched.url, fetched.content_type, fetched.charset)
    ).value


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

    return extract_article(data, url, content_type_charset=charset)  # its meta holds the page's schema.org/OG


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


@dataclass
class Clipped:
    """What the budgeted child hands back: the extracted source, its summary, and what that cost."""

    extracted: Any
    summary: Any
    usage: Usage | None = None


def _summarised(read: Callable[[], Any], options: CaptureOptions) -> tuple[Any, Any]:
    """Extract (``read``) and summarise: the CPU-bound part of a capture, run within the budget."""
    from bot.capture.summarize import summarize

    extracted = read()
    return extracted, summarize(extracted, options.summarizer)


def within_budget(options: CaptureOptions, work: Callable[[], Any]) -> Any:
    """``work()`` in a child under ``options.budget`` (see ``bot.capture.budget``); its value and usage."""
    warm_up()
    return run_within(options.budget, work)


def _read_within(options: CaptureOptions, read: Callable[[], Any]) -> Clipped:
    outcome = within_budget(options, lambda: _summarised(read, options))
    extracted, summary = outcome.value
    return Clipped(extracted, summary, outcome.usage)


_WARM: list[bool] = []
_WARMING = threading.Lock()


def warm_up() -> None:
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

        from bot.capture import decay_rules, extract, pagemeta, pdf  # noqa: F401
        from bot.capture.summarize import summarize
        from bot.kb import links, noteformats  # noqa: F401 - uploaded notes are parsed in the child

        sample = Path(__file__).resolve().parent.parent / "samples" / "sample-article.html"
        try:
            summarize(extract_bytes(sample.read_bytes(), "https://desk-research.example/sample", "text/html"))
        except Exception:  # noqa: BLE001 - warming is an optimisation only
            log.debug("could not warm the extractors", exc_info=True)
        _WARM.append(True)


def warm_video() -> None:
    """The transcript library's imports (requests, defusedxml), made here before a video's child is forked, for
    the reason ``warm_up`` gives; only processes that clip a video pay the ~0.2 s, so bot start-up does not."""
    with _WARMING:
        import youtube_transcript_api._transcripts  # noqa: F401 - requests and defusedxml come with it

        from bot.capture import video_meta, youtube  # noqa: F401


def _store_capture(
    store: Store,
    source: Any,
    options: CaptureOptions,
    *,
    channel: str | None,
    user: str | None,
    ts: str | None,
    moment: datetime,
    identity: str | None = None,
) -> CaptureResult:
    """Summarise (within the budget, unless ``source`` is already a :class:`Clipped`) and store.
    ``identity``: the canonical form of the posted link, which the note id derives from even when the
    fetch was redirected elsewhere (the note shows where it landed)."""
    from bot.capture.summarize import note_from

    clipped = source if isinstance(source, Clipped) else _read_within(options, lambda: source)
    extracted, summary = clipped.extracted, clipped.summary
    note = note_from(extracted, summary, channel=channel, owner=user, clipped=moment,
                     team=_team_labels(store, extracted.url, summary.tags, channel))
    if identity:
        note.id = url_note_id(identity)
    if ts:
        note.extra["slack_ts"] = ts
    store.upsert_note(note)
    if user or channel:
        store.add_mention(note.id, url=note.url, channel=channel, ts=ts, user=user, at=moment)
    if options.vault:
        write_to_vault(store, note.id, options.vault)
    notices = []
    if "little-text" in note.flags:
        notices.append("little text extracted (paywall or JavaScript page?): no summary made")
    if extracted.problem:
        notices.append(extracted.problem)
    return CaptureResult("captured", url=note.url, note=store.get_note(note.id), notices=notices,
                         usage=clipped.usage)


def _team_labels(store: Store, url: str, tags: list[str], channel: str | None) -> list[Any]:
    """What this channel set for earlier notes of the same site or tags (evidence for the suggestion)."""
    from bot.capture.decay_rules import team_labels
    from bot.kb.store import site_of

    sites, by_tag = store.decay_label_counts(site=site_of(url), tags=tags, channel=channel)
    return team_labels(sites, by_tag)


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
    from bot.kb.links import canonical_url

    options = options or CaptureOptions()
    canonical = canonical_url(url)
    known = _already_clipped(store, canonical)
    if known is not None:
        return known
    try:
        data = path.read_bytes()
        clipped = _read_within(options, lambda: extract_bytes(data, url, content_type))
    except Exception as exc:  # noqa: BLE001
        return _failure(url, exc)
    return _store_capture(store, clipped, options, channel=channel, user=user, ts=None, moment=_now(now),
                          identity=canonical)


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
    from bot.kb.noteformats import NoteError, parse_text

    options = options or CaptureOptions()
    moment = _now(now)
    suffix = Path(filename).suffix.lower()
    if suffix in {".md", ".markdown", ".txt"} or content_type.split(";")[0].strip() in TEXT_TYPES:
        try:
            parsed = within_budget(options, lambda: parse_text(data.decode("utf-8", errors="replace"), source=filename))
            note = parsed.value
        except NoteError as exc:
            return CaptureResult("failed", url=url, error=str(exc), permanent=True)
        except Exception as exc:  # noqa: BLE001 - over budget, or the child died: said in words
            return _failure(filename, exc)
        if (taken := _note_it_would_replace(store, note.id, note.url)) is not None:
            return _mention_instead(store, taken, url=note.url or url, channel=channel, user=user, ts=ts, moment=moment)
        _as_upload(note, user=user, channel=channel, moment=moment)
        if ts:
            note.extra.setdefault("slack_ts", ts)
        store.upsert_note(note)
        store.add_mention(note.id, url=note.url or url, channel=channel, ts=ts, user=user, at=moment)
        if options.vault:
            write_to_vault(store, note.id, options.vault)
        return CaptureResult("captured", url=note.url, note=store.get_note(note.id), usage=parsed.usage)
    source = url or f"file:{filename}"
    if (taken := _note_it_would_replace(store, None, source)) is not None:  # the same file shared again
        return _mention_instead(store, taken, url=url, channel=channel, user=user, ts=ts, moment=moment)

    def read() -> Any:
        extracted = extract_bytes(data, source, content_type)
        if not extracted.title or extracted.title == extracted.url:
            extracted.title = Path(filename).stem
        return extracted

    try:
        clipped = _read_within(options, read)
    except Exception as exc:  # noqa: BLE001
        return _failure(filename, exc)
    if (taken := _note_it_would_replace(store, None, clipped.extracted.url)) is not None:
        return _mention_instead(store, taken, url=url, channel=channel, user=user, ts=ts, moment=moment)
    return _store_capture(store, clipped, options, channel=channel, user=user, ts=ts, moment=moment)


UPLOAD_MATCHES_NOTE = ("this file has the id or the URL of a note already stored: it was recorded as one more "
                       "mention of that note, which was not changed (edit notes in the vault and `deskbot import`)")


def _note_it_would_replace(store: Store, note_id: str | None, url: str | None) -> str | None:
    """The stored note an upload would overwrite: the same id, or the note of the same canonical URL."""
    from bot.kb.links import canonical_url

    if note_id and store.note_row(note_id) is not None:
        return note_id
    if url:
        by_url = url_note_id(canonical_url(url))
        if store.note_row(by_url) is not None:
            return by_url
    return None


def _mention_instead(store: Store, note_id: str, *, url: str | None, channel: str | None, user: str | None,
                     ts: str | None, moment: datetime) -> CaptureResult:
    """An upload matching a stored note never rewrites it (any channel member can upload; the note's
    claims, owner, dates and validations are someone else's record): it becomes one more mention."""
    first = store.first_mention(note_id)
    store.add_mention(note_id, url=url, channel=channel, ts=ts, user=user, at=moment)
    note = store.get_note(note_id)
    ours = first is not None and (first.channel, first.ts) == (channel, ts)  # a resumed job: our own note
    return CaptureResult("duplicate", url=note.url if note else url, note=note, first=first,
                         notices=[] if ours else [UPLOAD_MATCHES_NOTE])


def _as_upload(note: Note, *, user: str | None, channel: str | None, moment: datetime) -> None:
    """What a Slack upload may not assert, reset: validations come only from the actions that record
    them (buttons, ``deskbot validate``, the owner's own vault import), so an upload's validation history,
    ``last_validated`` dates and outdated marks are dropped. A web clipper's own past clip date is kept
    (it only brings the note due sooner); a future one is now. The uploader owns it."""
    note.validations = []
    note.last_validated = None
    for claim in note.claims:
        claim.last_validated = None
        claim.outdated = False
        claim.also_in = []  # links into other people's notes are found by echo detection, not asserted
    clipped = note.clipped
    if clipped is not None and clipped.tzinfo is not None:
        clipped = clipped.astimezone(UTC).replace(tzinfo=None)
    naive_moment = moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment
    note.clipped = note.clipped if clipped is not None and clipped <= naive_moment else moment
    note.owner = user or note.owner
    note.channel = channel or note.channel


def write_to_vault(store: Store, note_id: str, vault: str) -> Path | None:
    """Also write the note as markdown into DESKBOT_VAULT (same file name rules as export)."""
    from bot.kb.render import render_note
    from bot.kb.vault import vault_filename

    note = store.get_note(note_id)
    if note is None:
        return None
    folder = Path(vault)
    folder.mkdir(parents=True, exist_ok=True)
    taken = {p.name for p in folder.glob("*.md") if not _is_file_of(p, note_id)}
    path = folder / vault_filename(note.title, note.id, taken)
    path.write_text(render_note(note), encoding="utf-8")
    return path


def _is_file_of(path: Path, note_id: str) -> bool:
    try:
        with path.open(encoding="utf-8") as handle:
            head = handle.read(400)
    except OSError:
        return False
    return f"\nid: {note_id}\n" in head or f"\nid: '{note_id}'\n" in head
