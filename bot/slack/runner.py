"""One capture job, start to end: claim → 👀 → clip (``capture_url``, or ``files.info`` + an authenticated
download + ``capture_upload``) → one thread reply → ``done``.

Transient failures (``CaptureResult.permanent == False``, Slack hiccups) go back to ``pending`` with
exponential backoff; permanent ones, or the last attempt, get a reply that says what happened and stay
``failed`` with ``last_error`` for ``deskbot retry``. A job interrupted by a crash (``running`` at start) is
resumed; its capture may already be stored, and then the pipeline's "duplicate" answer names this very
message as the first mention, so the full reply is posted.

Every thread reply carries the job's key as Slack message metadata (``deskbot_job``). A retried job
first looks for such a reply in its thread, so a crash *between* ``chat.postMessage`` returning and
the commit that records it does not reply twice (best effort: if the thread cannot be read, it
replies). Nothing else can double a note or a reply.
"""

from __future__ import annotations

import http.client
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from slack_sdk.errors import SlackApiError

from bot.slack import blocks, queue
from bot.slack.post_once import Unreadable, find_post
from bot.slack.queue import Job

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from bot.capture.pipeline import CaptureOptions, CaptureResult
    from bot.kb.store import Store

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 25 * 1024 * 1024
REPLY_EVENT = "deskbot_job"  # the metadata event type on every thread reply; its payload names the job
# Slack errors that no retry can fix: the reply cannot be posted where the link was.
PERMANENT_SLACK_ERRORS = frozenset({
    "channel_not_found", "not_in_channel", "is_archived", "msg_too_long", "invalid_blocks", "no_text",
    "restricted_action", "invalid_auth", "account_inactive", "token_revoked", "missing_scope", "file_not_found",
    "file_deleted", "access_denied",
})


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff for transient failures: ``base * 2**(attempt-1)``, capped; ``attempts`` tries."""

    base: float = 30.0
    cap: float = 3600.0
    attempts: int = 5

    def delay(self, attempt: int) -> timedelta:
        return timedelta(seconds=min(self.cap, self.base * 2 ** max(0, attempt - 1)))


class DownloadError(Exception):
    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message)
        self.permanent = permanent


def download(
    url: str, token: str, *, trusted: Callable[[str], bool], max_bytes: int = MAX_FILE_BYTES, timeout: float = 30.0
) -> tuple[bytes, str]:
    """GET a Slack file with ``Authorization: Bearer`` — sent only to hosts ``trusted`` says are Slack's,
    never to a redirect target elsewhere. Returns ``(bytes, content type)``."""
    for _hop in range(4):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DownloadError("the file link is not an http(s) URL", permanent=True)
        netloc = parts.netloc.rsplit("@", 1)[-1]
        headers = {"User-Agent": "deskbot"}
        if trusted(netloc):
            headers["Authorization"] = f"Bearer {token}"
        conn_cls = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
        conn = conn_cls(parts.hostname, parts.port, timeout=timeout)
        try:
            target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            conn.request("GET", target, headers=headers)
            resp = conn.getresponse()
            if resp.status in (301, 302, 303, 307, 308) and resp.getheader("Location"):
                url = urljoin(url, resp.getheader("Location") or "")
                continue
            if resp.status != 200:
                transient = resp.status in (408, 429) or resp.status >= 500
                raise DownloadError(f"Slack answered HTTP {resp.status} for the file", permanent=not transient)
            data = resp.read(max_bytes + 1)
            if len(data) > max_bytes:
                raise DownloadError(f"the file is larger than {max_bytes // (1024 * 1024)} MB", permanent=True)
            return data, resp.getheader("Content-Type") or ""
        except (OSError, http.client.HTTPException) as exc:
            raise DownloadError(f"could not download the file ({type(exc).__name__})", permanent=False) from None
        finally:
            conn.close()
    raise DownloadError("too many redirects for the file", permanent=True)


# --------------------------------------------------------------------------- one job


def _newer(message: dict[str, Any], than_ts: str | None) -> bool:
    try:
        return than_ts is None or float(message.get("ts") or 0) > float(than_ts)
    except ValueError:
        return True


class Runner:
    """Runs one claimed job to its end: 👀, capture, thread reply, and the job's new state in the queue.

    The same code runs in a worker thread of the bot (tests, ``capture_processes=False``) or inside a
    job process (production), where it has its own store connection and Web API client.
    """

    def __init__(
        self,
        store: Store,
        client: WebClient,
        *,
        capture_options: CaptureOptions | None,
        backoff: Backoff,
        trusted_file_host: Callable[[str], bool],
        react: bool = True,
    ) -> None:
        self.store = store
        self.client = client
        self.capture_options = capture_options
        self.backoff = backoff
        self.trusted_file_host = trusted_file_host
        self.react = react
        self.now = datetime(1970, 1, 1)

    def run(self, job: Job, now: datetime) -> str:
        """Clip one job and reply; returns the outcome (captured, duplicate, failed, retry)."""
        self.now = now
        try:
            return self._run(job)
        except Exception:  # noqa: BLE001 - last resort: keep the job for a retry
            log.exception("capture job %s crashed", job.id)
            return self.transient(job, "internal error while clipping")

    def _run(self, job: Job) -> str:
        if self.react and job.attempts == 1 and job.batch is None and job.kind != queue.RECLIP:
            self._react(job)
        if job.kind == queue.RECLIP:
            result = self._reclip(job)
        else:
            result = self._capture_file(job) if job.kind == "file" else self._capture_url(job)
        if result.status == "failed":
            if not result.permanent and job.attempts < self.backoff.attempts:
                return self.transient(job, result.error or "temporary failure")
            return self._fail(job, result.error, permanent=result.permanent)
        if job.batch is not None:  # a backfill: quiet, no reply on an old message
            if result.status == "duplicate" and result.note is not None:
                from bot.slack.backfills import adopt_earlier_posting

                adopt_earlier_posting(self.store, result.note.id, user=job.user, channel=job.channel, ts=job.ts,
                                      posted=self._clipped_at(job))
            queue.mark_done(self.store, job.id, note_id=result.note.id if result.note else None, reply_ts=None)
            return result.status
        try:
            reply_ts = self._reply(job, lambda: self._reply_for(job, result))
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "slack_error")
            if error in PERMANENT_SLACK_ERRORS or job.attempts >= self.backoff.attempts:
                queue.mark_failed(self.store, job.id, error=f"Slack: {error}", permanent=True)
                log.warning("could not reply for job %s: %s", job.id, error)
                return "failed"
            return self.transient(job, f"Slack: {error}")
        except OSError as exc:  # connection trouble the client's retry handler could not fix
            return self.transient(job, f"Slack unreachable ({type(exc).__name__})")
        note_id = result.note.id if result.note else None
        queue.mark_done(self.store, job.id, note_id=note_id, reply_ts=reply_ts)
        return result.status

    def _reply(self, job: Job, payload: Callable[[], dict[str, Any]]) -> str | None:
        """Post the job's one thread reply, tagged with the job's key (Slack message metadata) — unless
        an earlier attempt already posted it and crashed before recording that; returns its ts.

        Every path that might post a second time looks first: a later attempt (a crash, a 5xx) reads the
        thread before posting, and so does the immediate second try after a broken connection — the
        client itself never re-sends a post (``bot.slack.post_once``)."""
        if job.attempts > 1 and (earlier := self._earlier_reply(job)) is not None:
            log.info("job %s was answered by an earlier attempt (reply %s); not answering twice", job.id, earlier)
            return earlier
        try:
            return self._post_reply(job, payload)
        except OSError as exc:  # sent, and the answer lost: Slack may have posted it
            try:
                earlier = self._find_reply(job)
            except Unreadable as unreadable:
                log.info("job %s: connection lost while replying and %s; retrying later", job.id, unreadable)
                raise exc from None
            if earlier is not None:
                log.info("job %s: the reply was posted before the connection broke (%s)", job.id, earlier)
                return earlier
            log.info("job %s: connection lost before Slack posted the reply (%s); posting it", job.id,
                     type(exc).__name__)
            return self._post_reply(job, payload)

    def _post_reply(self, job: Job, payload: Callable[[], dict[str, Any]]) -> str | None:
        reply = self.client.chat_postMessage(
            channel=job.channel, thread_ts=job.thread_ts, unfurl_links=False, unfurl_media=False,
            metadata={"event_type": REPLY_EVENT, "event_payload": {"job": job.key}}, **payload(),
        )
        return reply.get("ts")

    def _find_reply(self, job: Job) -> str | None:
        """The ts of a reply in the job's thread tagged with its key and newer than the reply recorded for
        an earlier round (a failure reply before ``deskbot retry``); raises ``Unreadable``."""
        found = find_post(self.client, job.channel, REPLY_EVENT,
                          lambda payload, message: payload.get("job") == job.key and _newer(message, job.reply_ts),
                          thread_ts=job.thread_ts)
        return str(found.get("ts")) if found is not None else None

    def _earlier_reply(self, job: Job) -> str | None:
        """:meth:`_find_reply`, or None if the thread cannot be read (then the job replies: a possible
        double beats a silent drop)."""
        try:
            return self._find_reply(job)
        except Unreadable as exc:
            log.info("could not read the thread of job %s (%s); replying", job.id, exc)
        return None

    def transient(self, job: Job, error: str) -> str:
        due = queue.retry_later(self.store, job.id, delay=self.backoff.delay(job.attempts), error=error)
        log.info("job %s failed transiently (%s); retry at %s", job.id, error, due.isoformat(timespec="seconds"))
        return "retry"

    def lost(self, job: Job, why: str) -> None:
        """A job whose capture process died. The first time it is retried at once (the OOM killer or an
        operator, most likely); again, with backoff (the link itself may crash the clipper); after the
        last attempt it is answered in the thread as failed."""
        if job.attempts >= self.backoff.attempts:
            self._fail(job, why, permanent=False)
            return
        delay = timedelta(0) if job.attempts <= 1 else self.backoff.delay(job.attempts - 1)
        queue.retry_later(self.store, job.id, delay=delay, error=why)
        log.info("job %s lost its capture process (%s); retrying", job.id, why)

    def _fail(self, job: Job, error: str | None, *, permanent: bool) -> str:
        reply_ts = None
        try:
            if job.batch is None:  # a backfill's failures are counted and listed by `deskbot retry`, not posted
                reply_ts = self._reply(job, lambda: blocks.failure_reply(job.url, error))
        except (SlackApiError, OSError) as exc:
            log.warning("could not post the failure reply for job %s (%s)", job.id, type(exc).__name__)
        queue.mark_failed(self.store, job.id, error=error or "failed", permanent=permanent, reply_ts=reply_ts)
        return "failed"

    def _react(self, job: Job) -> None:
        try:
            self.client.reactions_add(channel=job.channel, timestamp=job.ts, name="eyes")
        except (SlackApiError, OSError) as exc:  # already_reacted, no permission...: cosmetic only
            log.debug("no 👀 for job %s: %s", job.id, exc)

    def _capture_url(self, job: Job) -> CaptureResult:
        from bot.capture.pipeline import capture_url

        return capture_url(self.store, job.url or "", channel=job.channel, user=job.user, ts=job.ts,
                           now=self._clipped_at(job), options=self.capture_options)

    def _reclip(self, job: Job) -> CaptureResult:
        """A paper's newer version, asked for with the *Re-clip* button (``bot.capture.papers.reclip``)."""
        from bot.capture.papers.reclip import NothingToReclip, reclip
        from bot.capture.pipeline import CaptureResult

        try:
            return reclip(self.store, job.supersedes or "", want=job.url, options=self.capture_options, now=self.now,
                          channel=job.channel, user=job.user, ts=job.ts)
        except NothingToReclip as exc:
            return CaptureResult("failed", url=job.url, error=str(exc), permanent=True)

    def _capture_file(self, job: Job) -> CaptureResult:
        from bot.capture.pipeline import CaptureResult, capture_upload

        try:
            info = self.client.files_info(file=job.file_id or "")
            file = info["file"]
            data, content_type = download(
                str(file.get("url_private_download") or file.get("url_private") or ""),
                str(self.client.token or ""),
                trusted=self.trusted_file_host,
            )
        except SlackApiError as exc:
            error = str(exc.response.get("error") or "slack_error")
            return CaptureResult("failed", error=f"Slack could not give the file ({error})",
                                 permanent=error in PERMANENT_SLACK_ERRORS)
        except DownloadError as exc:
            return CaptureResult("failed", error=str(exc), permanent=exc.permanent)
        except OSError as exc:
            return CaptureResult("failed", error=f"Slack unreachable ({type(exc).__name__})", permanent=False)
        mimetype = str(file.get("mimetype") or content_type or "")
        name = str(file.get("name") or "upload")
        return capture_upload(self.store, data, name, mimetype, channel=job.channel, user=job.user, ts=job.ts,
                              url=file.get("permalink"), now=self._clipped_at(job), options=self.capture_options)

    def _clipped_at(self, job: Job) -> datetime:
        """A backfilled link is clipped (and mentioned) when it was posted, not when the backfill ran."""
        if job.batch is None:
            return self.now
        try:
            return datetime.fromtimestamp(float(job.ts), UTC).replace(tzinfo=None, microsecond=0)
        except (ValueError, OverflowError):
            return self.now

    def _reply_for(self, job: Job, result: CaptureResult) -> dict[str, Any]:
        """The thread reply: the full note, or "already clipped" pointing at the first thread."""
        from bot.kb import decay
        from bot.kb.render import place_url

        note = result.note
        first = result.first
        if first is None and note is not None and result.status == "duplicate":
            first = self.store.first_mention(note.id)  # capture_upload does not say who was first
        ours = first is not None and first.channel == job.channel and first.ts == job.ts
        if result.status == "captured" or (result.status == "duplicate" and ours and note is not None):
            assert note is not None
            row = self.store.note_row(note.id)
            fresh = decay.freshness(row.due if row else None, self.now.date())
            from bot.kb.echoes import note_echoes

            offers = []
            if note.kind == "paper":  # a newer version the capture already knew of ("v3 exists"): its button
                from bot.capture.papers.reclip import offers as offered

                offers = [(o.id, o.label) for o in offered(self.store, note.id) if not o.reclip_note_id]
            return blocks.capture_reply(note, fresh, place_url=place_url, notices=result.notices,
                                        echoes=note_echoes(self.store.conn, note.id), offers=offers)
        permalink = None
        if first is not None and first.channel and first.ts:
            try:
                permalink = self.client.chat_getPermalink(channel=first.channel, message_ts=first.ts).get("permalink")
            except (SlackApiError, OSError) as exc:
                log.info("no permalink for the first mention (%s)", type(exc).__name__)
        return blocks.duplicate_reply(
            note.title if note else (result.url or "this link"),
            note.url if note else result.url,
            first_day=first.at.date() if first and first.at else None,
            first_user=first.user if first else None,
            permalink=permalink,
            notices=result.notices,
        )


# --------------------------------------------------------------------------- the doorbell
