"""YouTube videos: fetch the transcript, group it into timestamped paragraphs, build a video ``Extracted``.

Transcripts come from ``youtube-transcript-api`` (imported lazily). Every way it can fail (subtitles off,
video gone, YouTube blocking the server, …) becomes one ``TranscriptUnavailable`` with a sentence a user
can read; ``extract_video`` turns that into a note with what is known (title, channel, URL) instead of a
crash. The title and channel come for free from the player response the library already requests: a
response hook on the HTTP session reads its ``videoDetails``, no extra request.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from bot.capture.extract import Extracted, has_little_text, is_punctuated, speech_sentences
from bot.kb.links import youtube_id
from bot.kb.notes import one_line

log = logging.getLogger(__name__)

PARAGRAPH_SECONDS = 30.0  # like the seed transcripts: one timestamped paragraph per ~30 s
MAX_PARAGRAPH_SECONDS = 60.0  # close a paragraph here even mid-sentence (unpunctuated auto captions)
_INNER_END = re.compile(r"[.!?…。！？][\"'”’)\]]*(?=\s|$)")
_SOUND_CUE = re.compile(r"\[(?:music|applause|laughter|inaudible|silence|noise)\]", re.I)
_ID = re.compile(r"[A-Za-z0-9_-]{11}")


class TranscriptUnavailable(Exception):
    """No transcript could be had; ``reason`` says why in words a user understands."""

    def __init__(self, reason: str, *, video_id: str | None = None, details: dict[str, Any] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.video_id = video_id
        self.details = details or {}


@dataclass
class Transcript:
    """A fetched transcript plus the video details seen on the way (title, channel, duration)."""

    video_id: str
    snippets: list[tuple[float, str]]  # (start seconds, text)
    language: str | None = None
    is_generated: bool = False
    details: dict[str, Any] = field(default_factory=dict)  # title, channel, duration when known


def watch_url(video_id: str, t: int | None = None) -> str:
    """The canonical watch URL, optionally at a time (``&t=Ns``), as the seed notes link them."""
    base = f"https://www.youtube.com/watch?v={video_id}"
    return f"{base}&t={int(t)}s" if t is not None else base


def stamp(seconds: float) -> str:
    """``508`` → ``8:28`` (``1:02:03`` past an hour), as YouTube shows it."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def video_id_of(url_or_id: str) -> str | None:
    """The video id of a YouTube URL, or the argument itself when it already is a bare id."""
    text = url_or_id.strip()
    if _ID.fullmatch(text):
        return text
    return youtube_id(text)


# --------------------------------------------------------------------------- fetching


def _reason(exc: Exception) -> str:
    """A readable sentence for each youtube-transcript-api failure (their messages are long and technical)."""
    import requests
    import youtube_transcript_api as yta

    name = type(exc).__name__
    if isinstance(exc, yta.TranscriptsDisabled):
        return "subtitles are disabled for this video"
    if isinstance(exc, yta.NoTranscriptFound):
        return "the video has no transcript in a usable language"
    if isinstance(exc, yta.InvalidVideoId):
        return "this is not a valid YouTube video id"
    if isinstance(exc, yta.VideoUnavailable):
        return "the video is unavailable (removed, private or never existed)"
    if isinstance(exc, yta.AgeRestricted):
        return "the video is age-restricted, so its transcript needs a signed-in account"
    if isinstance(exc, yta.RequestBlocked):  # IpBlocked is a RequestBlocked
        return "YouTube is blocking transcript requests from this server; try again later or use a proxy"
    if isinstance(exc, yta.VideoUnplayable):
        why = getattr(exc, "reason", None) or "no reason given"
        return f"the video cannot be played here ({one_line(why)})"
    if isinstance(exc, yta.PoTokenRequired):
        return "YouTube requires a proof-of-origin token for this transcript"
    if isinstance(exc, yta.FailedToCreateConsentCookie):
        return "could not get past YouTube's cookie consent page"
    if isinstance(exc, yta.YouTubeDataUnparsable):
        return "YouTube's page could not be understood (youtube-transcript-api may need an update)"
    if isinstance(exc, yta.YouTubeRequestFailed):
        return f"the request to YouTube failed ({one_line(str(getattr(exc, 'reason', '')) or name)})"
    if isinstance(exc, yta.CouldNotRetrieveTranscript):
        return "the transcript could not be retrieved"
    if type(exc).__module__.startswith("defusedxml"):
        return "YouTube's transcript declares XML entities, which are not expanded (a billion-laughs shape)"
    if isinstance(exc, requests.RequestException):
        return f"network error while reaching YouTube ({name})"
    return f"unexpected error while reading the transcript ({name})"


def _details_hook(details: dict[str, Any]) -> Any:
    """A requests response hook that keeps the player response's ``videoDetails`` (title, channel…)."""

    def hook(response: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            if "/youtubei/v1/player" in response.url and response.ok:
                data = response.json().get("videoDetails") or {}
                if data.get("title"):
                    details["title"] = one_line(data["title"])
                if data.get("author"):
                    details["channel"] = one_line(data["author"])
                if str(data.get("lengthSeconds", "")).isdigit():
                    details["duration"] = int(data["lengthSeconds"])
                micro = (response.json().get("microformat") or {}).get("playerMicroformatRenderer") or {}
                uploaded = str(micro.get("uploadDate") or micro.get("publishDate") or "")[:10]
                if re.fullmatch(r"\d{4}-\d\d-\d\d", uploaded):
                    details["upload_date"] = uploaded
        except Exception:  # metadata is a bonus: never let it break the fetch
            log.debug("could not read videoDetails", exc_info=True)
        return response

    return hook


def _pick_transcript(listing: Any, languages: Sequence[str]) -> Any:
    """The transcript in a preferred language, else any manual one, else any generated one."""
    from youtube_transcript_api import NoTranscriptFound

    try:
        return listing.find_transcript(list(languages))
    except NoTranscriptFound:
        available = list(listing)
        manual = [t for t in available if not t.is_generated]
        if manual or available:
            return (manual or available)[0]
        raise


def fetch_transcript(
    video_id: str,
    *,
    api: Any = None,
    http_client: Any = None,
    languages: Sequence[str] = ("en",),
    proxy: Any = None,
) -> Transcript:
    """Fetch a video's transcript; raise ``TranscriptUnavailable(reason)`` on any failure.

    ``api`` is a ready ``YouTubeTranscriptApi``; otherwise one is built on ``http_client`` (a
    ``requests.Session``, or a test adapter serving saved responses) with ``proxy`` (see :func:`proxy_config`).
    """
    details: dict[str, Any] = {}
    session = None
    hook = _details_hook(details)
    try:
        if api is None:
            import requests
            from youtube_transcript_api import YouTubeTranscriptApi

            session = http_client if http_client is not None else requests.Session()
            session.hooks.setdefault("response", []).append(hook)
            api = YouTubeTranscriptApi(proxy_config=proxy, http_client=session)
        transcript = _pick_transcript(api.list(video_id), languages)
        fetched = transcript.fetch()
        snippets = [(float(s.start), s.text) for s in fetched]
        return Transcript(
            video_id=video_id,
            snippets=snippets,
            language=getattr(fetched, "language_code", None),
            is_generated=bool(getattr(fetched, "is_generated", False)),
            details=details,
        )
    except MemoryError:
        raise  # over the capture's memory budget: the capture fails and says so (not "no transcript")
    except Exception as exc:
        log.info("no transcript for %s: %s", video_id, type(exc).__name__)
        raise TranscriptUnavailable(_reason(exc), video_id=video_id, details=details) from exc
    finally:
        if session is not None and hook in session.hooks.get("response", []):
            session.hooks["response"].remove(hook)


# --------------------------------------------------------------------------- shaping


def caption_text(text: str) -> str:
    """A caption snippet as plain text: speaker marks and sound cues ([Music]) removed."""
    return one_line(_SOUND_CUE.sub(" ", text.replace(">>", " ")))


def group_snippets(
    snippets: Iterable[tuple[float, str]],
    *,
    target: float = PARAGRAPH_SECONDS,
    hard_max: float = MAX_PARAGRAPH_SECONDS,
) -> list[tuple[float, str]]:
    """Merge caption snippets into ``(start, paragraph)`` of ~``target`` seconds, ending on a sentence end.

    Once a paragraph is long enough it closes at the next sentence end, even inside a snippet (the rest
    starts the next paragraph at that snippet's time, a moment early). So every sentence sits inside one
    paragraph: a claim's time is its paragraph's start, and the claim is verbatim in the transcript body.
    ``hard_max`` closes paragraphs of unpunctuated auto captions, which have no sentence ends.
    """
    paragraphs: list[tuple[float, str]] = []
    start: float | None = None
    parts: list[str] = []

    def close() -> None:
        if parts and start is not None:
            paragraphs.append((start, " ".join(parts)))
        parts.clear()

    for snippet_start, raw in snippets:
        text = caption_text(raw)
        if not text:
            continue
        if start is None or not parts:
            start = snippet_start
        elif snippet_start - start >= hard_max:
            close()
            start = snippet_start
        parts.append(text)
        if snippet_start - start < target:
            continue
        ends = list(_INNER_END.finditer(text))
        if not ends:
            continue
        cut = ends[-1].end()
        head, tail = text[:cut].strip(), text[cut:].strip()
        parts[-1] = head
        close()
        start = snippet_start
        if tail:
            parts.append(tail)
    close()
    return paragraphs


def transcript_body(video_id: str, paragraphs: Iterable[tuple[float, str]]) -> str:
    """``[m:ss](watch?v=ID&t=Ns) text`` paragraphs separated by blank lines (the seed 004 format)."""
    return "\n\n".join(
        f"[{stamp(start)}]({watch_url(video_id, int(start))}) {text}" for start, text in paragraphs
    )


def video_extracted(
    video_id: str,
    transcript: Transcript | None = None,
    *,
    title: str | None = None,
    channel: str | None = None,
    problem: str | None = None,
) -> Extracted:
    """The ``Extracted`` for a video: transcript body and segments, or just what is known and why not."""
    details = dict(transcript.details) if transcript else {}
    title = title or details.get("title") or f"YouTube video {video_id}"
    meta: dict[str, Any] = {
        "video_id": video_id,
        "thumbnail": f"https://i.ytimg.com/vi/{video_id}/maxresdefault.jpg",
    }
    if details.get("channel") or channel:
        meta["channel"] = channel or details["channel"]
    if details.get("duration"):
        meta["duration"] = details["duration"]
        meta["duration_formatted"] = stamp(details["duration"])
    segments: list[tuple[float, str]] = []
    body = ""
    if transcript is not None:
        segments = group_snippets(transcript.snippets)
        body = transcript_body(video_id, segments)
        if transcript.language:
            meta["transcript_language"] = transcript.language
        if transcript.is_generated:
            meta["transcript"] = "auto-generated"
    speech = " ".join(text for _, text in segments)
    punctuated = is_punctuated(speech)
    little = not segments or has_little_text(
        speech_sentences(speech, punctuated=punctuated), require_end=punctuated
    )
    return Extracted(
        url=watch_url(video_id),
        title=title,
        kind="video",
        author=channel or details.get("channel"),
        site="YouTube",
        text=body,
        little_text=little,
        published=date.fromisoformat(details["upload_date"]) if details.get("upload_date") else None,
        segments=segments,
        snippets=list(transcript.snippets) if transcript else [],
        meta=meta,
        problem=problem if problem else (None if segments else "the transcript is empty"),
    )


def extract_video(
    url_or_id: str,
    *,
    api: Any = None,
    http_client: Any = None,
    languages: Sequence[str] = ("en",),
    title: str | None = None,
    proxy: Any = None,
    metadata: Any = None,
) -> Extracted:
    """Everything capture needs from a video URL; a missing transcript gives a note that says why, made from
    the video's public details when ``metadata`` (video id → ``bot.capture.video_meta`` dict) is given."""
    video_id = video_id_of(url_or_id)
    if video_id is None:
        return Extracted(
            url=url_or_id, title=title or url_or_id, kind="video", little_text=True,
            problem="not a YouTube video URL",
        )  # fmt: skip
    try:
        transcript = fetch_transcript(video_id, api=api, http_client=http_client, languages=languages, proxy=proxy)
    except TranscriptUnavailable as exc:
        if metadata is not None:
            return details_only(video_id, metadata(video_id), exc, title=title)
        known = title or exc.details.get("title")
        extracted = video_extracted(video_id, None, title=known, problem=exc.reason)
        extracted.author = exc.details.get("channel")
        if exc.details.get("duration"):
            extracted.meta["duration"] = exc.details["duration"]
        return extracted
    return video_extracted(video_id, transcript, title=title)


def details_only(video_id: str, meta: dict[str, Any], exc: TranscriptUnavailable, *, title: str | None = None
                 ) -> Extracted:
    """A video note without a transcript: title, channel, upload date, duration, description and chapters."""
    extracted = video_extracted(video_id, None, title=title or meta.get("title") or exc.details.get("title"))
    extracted.author = meta.get("channel") or exc.details.get("channel")
    extracted.published = meta.get("upload_date")
    duration = meta.get("duration") or exc.details.get("duration")
    if duration:
        extracted.meta["duration"] = duration
    if meta.get("upload_date"):
        extracted.meta["upload_date"] = meta["upload_date"].isoformat()
    parts = []
    if meta.get("description"):
        parts.append(meta["description"])
    if meta.get("chapters"):
        extracted.meta["chapters"] = [{"t": t, "title": name} for t, name in meta["chapters"]]
        parts.append("## Chapters\n\n" + "\n".join(
            f"[{stamp(t)}]({watch_url(video_id, t)}) {name}" for t, name in meta["chapters"]))
    extracted.text = "\n\n".join(parts)
    extracted.meta["transcript"] = "missing"
    extracted.problem = (f"no transcript ({exc.reason}); the note is made from the video's public details — "
                         "`deskbot retry` fetches the transcript later")
    return extracted
